import Formats
import Foundation
import FrameChainTestKit
import Store
import Testing

@testable import Backends
@testable import Chain

/// The `replicate` backend in video mode (a plan's `clips.generator`): frames mapped to named inputs, a prediction
/// that stays `processing` for several polls, the MP4 output streamed to a file.
@Suite(.serialized) struct ReplicateVideoTests {
    typealias F = BackendFixtures

    let generator = ReplicateGenerator(token: F.replicateToken, producesVideo: true)
    let start = F.input(F.png(seed: 4))
    let end = F.input(F.png(seed: 5))

    func job(_ server: FakeProvider, options: [String: JSONValue] = [:]) -> GenerationJob {
        var all: [String: JSONValue] = [
            "base_url": .string(server.baseURL), "poll_interval_ms": .number(10), "retry_base_ms": .number(1),
            "retry_max_ms": .number(2000),
        ]
        all.merge(options) { $1 }
        return F.job(
            backend: "replicate", model: "kwaivgi/kling-v2.1", prompt: "slow push-in",
            params: ["duration": .number(5), "mode": .string("pro")], inputs: [start, end], options: all,
            node: "clip/1")
    }

    @Test func aSlowPredictionIsPolledAndItsVideoLandsInAFile() async throws {
        try await FakeProvider.with(scenario: "video") { server in
            let output = try await generator.generate(job(server))
            let file = try #require(output.file)
            defer { try? FileManager.default.removeItem(atPath: file) }
            #expect(output.bytes.isEmpty, "a video is handed over as a file, not held in memory")
            #expect(output.mediaType == .mp4)
            let bytes = try readFile(file)
            #expect(bytes.count == 65536)
            #expect(MediaType.recognize(bytes) == .mp4)
            #expect(output.usage == .object(["predict_time": .number(42.5), "total_time": .number(44)]))
            #expect(output.providerID == "pred1")

            let create = try #require(
                try await server.requests("POST", "/v1/models/kwaivgi/kling-v2.1/predictions").first)
            let input = try #require(create["json"]?["input"])
            #expect(input["prompt"]?.string == "slow push-in")
            #expect(input["duration"]?.value == .number(5))
            #expect(input["image_input"]?.value == nil)
            let sentStart = try #require(input["start_image"]?.string.flatMap(F.dataURIBytes))
            let sentEnd = try #require(input["end_image"]?.string.flatMap(F.dataURIBytes))
            #expect(SHA256.hash(data: sentStart) == start.digest)
            #expect(SHA256.hash(data: sentEnd) == end.digest)
            // Three polls answered `processing`, the fourth `succeeded`; the output was downloaded once.
            #expect(try await server.requests("GET", "/v1/predictions/pred1").count == 4)
            #expect(try await server.requests("GET", "/outputs/pred1.mp4").count == 1)
            F.expectNoSecrets(F.printed(output))
        }
    }

    @Test func theFramesGoToTheInputsThePlanNames() async throws {
        try await FakeProvider.with(scenario: "video") { server in
            let fields: JSONValue = .array([.string("first_frame_image"), .string("last_frame_image")])
            let output = try await generator.generate(job(server, options: ["input_fields": fields]))
            if let file = output.file { try? FileManager.default.removeItem(atPath: file) }
            let create = try #require(try await server.requests().first { $0["method"]?.string == "POST" })
            let input = try #require(create["json"]?["input"])
            #expect(input["first_frame_image"]?.string?.hasPrefix("data:image/png;base64,") == true)
            #expect(input["last_frame_image"]?.string?.hasPrefix("data:image/png;base64,") == true)
            #expect(input["start_image"]?.value == nil && input["end_image"]?.value == nil)
        }
    }

    @Test func anOutputThatIsNotAVideoFailsAndLeavesNoFile() async throws {
        try await FakeProvider.with(scenario: "ok") { server in
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()))
            let error = await F.generatorError { try await generator.generate(job(server)) }
            #expect(error?.message == "replicate prediction pred1 output is not an MP4 video")
            #expect(error?.isTransient == false)
            let after = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()))
            #expect(
                after.subtracting(before).filter {
                    $0.hasPrefix("framechain-download-\(ProcessInfo.processInfo.processIdentifier)-")
                }.isEmpty)
        }
    }

    @Test func theClipFactoryChecksTheMapping() throws {
        let spec = GeneratorSpec(
            backend: "replicate", model: "kwaivgi/kling-v2.1",
            options: ["input_fields": .array([.string("image"), .string("image")])])
        #expect(throws: GeneratorError.self) { try GeneratorFactory.makeClip(spec: spec, environment: [:]) }
        let procedural = GeneratorSpec(backend: "procedural", model: "procedural-v1")
        do {
            _ = try GeneratorFactory.makeClip(spec: procedural, environment: [:])
            Issue.record("procedural was accepted as a clip generator")
        } catch {
            #expect(error.message == "the procedural backend makes images, not clips (use ffmpeg or replicate)")
        }
    }
}
