import Foundation
import FrameChainTestKit
import Synchronization
import Testing

@testable import Chain
@testable import Store

/// An in-memory clip generator: an MP4-shaped blob (an `ftyp` box) followed by the SHA-256 of the request.
final class RecordingClipGenerator: Generator {
    let calls = Mutex<[String]>([])
    let version: String

    init(version: String = "clip-model-1") {
        self.version = version
    }

    var calledNodes: [String] { calls.withLock { $0 } }

    func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        calls.withLock { $0.append(job.node) }
        #expect(job.inputs.count == 2 && job.inputs.allSatisfy(\.mediaType.isImage))
        let ftyp: [UInt8] = [0, 0, 0, 24] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8)
        return GeneratorOutput(
            bytes: ftyp + SHA256.hash(data: Array(job.request.canonicalText.utf8)).bytes, mediaType: .mp4,
            modelVersion: version)
    }
}

/// The schedule with clips: a DAG in which a clip starts as soon as its two frames exist.
@Suite struct ClipSchedulingTests {
    /// A plan of `scenes` scenes with a clip per scene.
    func writeClipPlan(in directory: String, scenes: Int) throws -> String {
        let path = try writeChainPlan(in: directory, scenes: scenes) { scenes in
            for index in scenes.indices { scenes[index]["motion"] = "motion \(index + 1)" }
        }
        var plan = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        plan["clips"] = ["generator": ["backend": "ffmpeg", "model": "crossfade-v1", "params": ["fps": 12]]]
        try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aClipStartsAsSoonAsItsFramesExistWhileTheChainsGoOn() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try PlanLoader.load(contentsOf: try writeClipPlan(in: dir, scenes: 4))
            let clips = RecordingClipGenerator()
            // start/3 is not generated before clip/1 has started: if clips waited for the chains, this would never
            // happen and the gate would give up.
            let frames = RecordingGenerator(gate: { node in
                guard node == "start/3" else { return }
                for _ in 0..<3000 where !clips.calledNodes.contains("clip/1") {
                    try await Task.sleep(for: .milliseconds(10))
                }
                if !clips.calledNodes.contains("clip/1") { throw GeneratorError("clip/1 never started") }
            })
            let result = try await ChainRunner(store: store, generator: frames, clipGenerator: clips)
                .run(plan, configuration: RunConfiguration(jobs: 4))
            #expect(result.status == .succeeded)
            #expect(result.links.count == 16)
            #expect(Set(clips.calledNodes) == ["clip/1", "clip/2", "clip/3", "clip/4"])
            #expect(frames.calledNodes.allSatisfy { !$0.hasPrefix("clip/") })
            for link in result.links where link.node.role == .clip {
                #expect(link.mediaType == .mp4)
                let key = try #require(link.key)
                let generation = try #require(try store.generation(for: key))
                let sceneFrames = result.links.filter {
                    $0.node.scene == link.node.scene && ($0.node.role == .start || $0.node.role == .end)
                }.sorted { $0.node < $1.node }
                #expect(generation.inputs == sceneFrames.compactMap(\.output), "clip inputs are start then end")
            }
        }
    }

    @Test func aFailedFrameSkipsItsClipAndTheOtherClipsGoOn() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try PlanLoader.load(contentsOf: try writeClipPlan(in: dir, scenes: 3))
            let clips = RecordingClipGenerator()
            let frames = RecordingGenerator(failing: ["end/2"])
            let result = try await ChainRunner(store: store, generator: frames, clipGenerator: clips)
                .run(plan, configuration: RunConfiguration(jobs: 2))
            #expect(result.status == .failed)
            let outcomes = Dictionary(uniqueKeysWithValues: result.links.map { ($0.node.description, $0) })
            #expect(outcomes["clip/1"]?.outcome == .generated)
            #expect(outcomes["clip/2"]?.outcome == .skipped)
            #expect(outcomes["clip/2"]?.reason == "upstream end/2 failed")
            #expect(outcomes["clip/3"]?.outcome == .skipped)
            #expect(outcomes["start/3"]?.outcome == .generated, "the start chain goes on")
            #expect(clips.calledNodes == ["clip/1"])
            #expect(result.links.count == 12, "every node is recorded once")
        }
    }

    @Test func aClipGeneratorThatReturnsAnImageFailsTheClip() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try PlanLoader.load(contentsOf: try writeClipPlan(in: dir, scenes: 1))
            let result = try await ChainRunner(
                store: store, generator: RecordingGenerator(), clipGenerator: RecordingGenerator()
            )
            .run(plan, configuration: RunConfiguration(jobs: 2))
            let clip = try #require(result.links.first { $0.node.role == .clip })
            #expect(clip.outcome == .failed)
            #expect(clip.error?.hasSuffix("bytes that are not an MP4 video") == true, "\(clip.error ?? "")")
        }
    }

    @Test func statusWarnsWhenTheCachedClipsCameFromDifferentModelVersions() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let path = try writeClipPlan(in: dir, scenes: 2)
            let first = try await ChainRunner(
                store: store, generator: RecordingGenerator(), clipGenerator: RecordingClipGenerator(version: "v1")
            ).run(try PlanLoader.load(contentsOf: path), configuration: RunConfiguration())
            #expect(first.status == .succeeded)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try writeFile(Array(text.replacingOccurrences(of: "motion 2", with: "motion two").utf8), to: path)
            let edited = try PlanLoader.load(contentsOf: path)
            let second = try await ChainRunner(
                store: store, generator: RecordingGenerator(), clipGenerator: RecordingClipGenerator(version: "v2")
            ).run(edited, configuration: RunConfiguration())
            #expect(second.links.filter { $0.outcome == .generated }.map(\.node.description) == ["clip/2"])
            let report = try await ChainRunner(store: store, generator: RecordingGenerator()).status(of: edited)
            #expect(
                report.warnings == [
                    "the cached clips of \"test-plan\" came from 2 different model versions: v1 for 1 link (clip/1), "
                        + "v2 for 1 link (clip/2)"
                ])
        }
    }
}
