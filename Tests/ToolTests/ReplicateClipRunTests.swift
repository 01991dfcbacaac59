import Foundation
import FrameChainTestKit
import Testing

@testable import Store

/// Clips from the Replicate video backend, end to end against the loopback stand-in: a prediction that stays
/// `processing` for several polls, and a 200 MB clip that goes through the store while the run's memory stays small.
@Suite(.serialized) struct ReplicateClipRunTests {
    static let token = "r8_SECRET_clip_5e2b7d"

    /// A one-scene procedural storyboard whose clip comes from `kwaivgi/kling-v2.1` on the stand-in, priced per second.
    private func writePlan(in directory: String, server: FakeProviderServer) throws -> String {
        let plan = """
            {
              "format": "framechain.plan/v1",
              "name": "replicate-clip",
              "generator": {"backend": "procedural", "model": "procedural-v1", "params": {"width": 48, "height": 64}},
              "scenes": [{"reference": "a harbour", "start": "a boat leaves", "end": "the boat is far away",
                          "motion": "the boat sails out slowly"}],
              "clips": {
                "generator": {"backend": "replicate", "model": "kwaivgi/kling-v2.1",
                              "params": {"duration": 5, "mode": "standard"},
                              "options": {"base_url": "\(server.baseURL)", "poll_interval_ms": 20}}
              },
              "pricing": {"kwaivgi/kling-v2.1": {"per_second": 0.05}, "procedural-v1": {"per_image": 0.01}}
            }
            """
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeFile(directory + "/plan.json", Array(plan.utf8))
        return directory + "/plan.json"
    }

    @Test(.enabled(if: TestSupport.python3 != nil && ExternalTools.available("time"), "GNU time is not installed"))
    func aTwoHundredMegabyteClipGoesThroughTheStoreInLittleMemory() throws {
        try withTemporaryDirectory { dir in
            let server = try FakeProviderServer(scenario: "video")
            defer { server.stop() }
            let size = 200 << 20
            try server.control(["processing_polls": 4, "video_size": size])
            let plan = try writePlan(in: dir, server: server)
            let store = dir + "/store"
            let run = try runFramechainMeasuringMemory(
                ["run", plan, "--store", store, "--out", dir + "/out", "--json"], scratch: dir,
                environment: ["REPLICATE_API_TOKEN": Self.token])
            #expect(run.status == 0, "\(run.error)")
            #expect(run.peakResidentBytes < 100 << 20, "peak RSS \(run.peakResidentBytes >> 20) MB")

            // The clip is in the store and in --out, whole and verified.
            let document = try #require(try JSONSerialization.jsonObject(with: Data(run.output)) as? [String: Any])
            let links = document["links"] as? [[String: Any]] ?? []
            let clip = try #require(links.first { $0["node"] as? String == "clip/1" })
            #expect(clip["outcome"] as? String == "generated")
            let digest = try #require((clip["output"] as? String).flatMap { Digest(parsing: $0) })
            #expect(try FileHasher.hash(fileAt: dir + "/out/clip_01.mp4").digest == digest)
            let opened = try Store(directory: store)
            #expect(try opened.blob(for: digest)?.size == size)
            #expect(try opened.blob(for: digest)?.mediaType == .mp4)

            // The prediction stayed `processing` for four polls; the token went only to the API.
            let polls = try server.requests("GET", where: { $0.hasPrefix("/v1/predictions/") })
            #expect(polls.count == 5)
            // The cost ledger: 42.5 s of predict_time at 0.05 per second, plus three images at 0.01.
            let show = try runFramechain(["show", "latest", "--json", "--store", store], scratch: dir)
            let shown = try #require(try JSONSerialization.jsonObject(with: Data(show.output)) as? [String: Any])
            let spent = try #require(shown["spent"] as? Double)
            #expect(abs(spent - (42.5 * 0.05 + 3 * 0.01)) < 1e-9)

            // verify, blob cat and replay stream the clip too, in little memory.
            let verify = try runFramechainMeasuringMemory(["verify", "--store", store], scratch: dir)
            #expect(verify.status == 0, "\(verify.error)")
            #expect(verify.peakResidentBytes < 100 << 20, "verify peak RSS \(verify.peakResidentBytes >> 20) MB")
            let replay = try runFramechainMeasuringMemory(
                ["replay", "latest", "--out", dir + "/replayed", "--store", store], scratch: dir)
            #expect(replay.status == 0, "\(replay.error)")
            #expect(replay.peakResidentBytes < 100 << 20, "replay peak RSS \(replay.peakResidentBytes >> 20) MB")
            #expect(try FileHasher.hash(fileAt: dir + "/replayed/clip_01.mp4").digest == digest)

            // A bundle carries the clip through SQLite incremental BLOB I/O, both ways.
            let export = try runFramechainMeasuringMemory(
                ["export", "latest", "--to", dir + "/clip.bundle", "--store", store], scratch: dir)
            #expect(export.status == 0, "\(export.error)")
            #expect(export.peakResidentBytes < 100 << 20, "export peak RSS \(export.peakResidentBytes >> 20) MB")
            let imported = try runFramechainMeasuringMemory(
                ["import", dir + "/clip.bundle", "--store", dir + "/imported"], scratch: dir)
            #expect(imported.status == 0, "\(imported.error)")
            #expect(imported.peakResidentBytes < 100 << 20, "import peak RSS \(imported.peakResidentBytes >> 20) MB")
            #expect(
                try FileHasher.hash(fileAt: try Store(directory: dir + "/imported").path(of: digest)).digest == digest)
            let cat = try runFramechainMeasuringMemory(
                ["blob", "cat", digest.description, "--store", dir + "/imported"], scratch: dir)
            #expect(cat.status == 0 && cat.output.count == size, "\(cat.error)")
        }
    }

    @Test(.enabled(if: TestSupport.python3 != nil, "python3 is not installed"))
    func replicateClipsNeedATokenOnlyWhenAClipIsToBeGenerated() throws {
        try withTemporaryDirectory { dir in
            let server = try FakeProviderServer(scenario: "video")
            defer { server.stop() }
            let plan = try writePlan(in: dir, server: server)
            let store = dir + "/store"
            let refused = try runFramechain(
                ["run", plan, "--store", store], scratch: dir, environment: ["REPLICATE_API_TOKEN": ""])
            #expect(refused.status == 2)
            #expect(
                refused.error
                    == "Error: \(plan): clips.generator: the replicate backend needs an API token to generate "
                    + "1 link(s) (first clip/1): set REPLICATE_API_TOKEN in the environment\n")
            #expect(try server.requests().isEmpty, "nothing was sent")
            let run = try runFramechain(
                ["run", plan, "--store", store], scratch: dir, environment: ["REPLICATE_API_TOKEN": Self.token])
            #expect(run.status == 0, "\(run.error)")
            // Everything cached: no token needed.
            let warm = try runFramechain(
                ["run", plan, "--store", store], scratch: dir, environment: ["REPLICATE_API_TOKEN": ""])
            #expect(warm.status == 0, "\(warm.error)")
        }
    }
}
