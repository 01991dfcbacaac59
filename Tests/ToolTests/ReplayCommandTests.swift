import Foundation
import Testing

@Suite struct ReplayCommandTests {
    @Test func aRunWithAFailedLinkReplaysWhatExistsAndSaysSo() throws {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(
            scenes: 3, prompt: { scene, role in scene == 2 && role == "start" ? "FAILME" : "\(role) of scene \(scene)" }
        )
        let run = try workspace.framechain(["run", plan, "--out", workspace.root + "/original"])
        #expect(run.status == 1)
        let out = workspace.root + "/replayed"
        let replay = try workspace.framechain(["replay", "latest", "--out", out])
        #expect(replay.status == 0)
        #expect(replay.output.contains("7 image(s) verified"))
        #expect(replay.error.contains("Note: start/2 has no output (failed: new)"))
        #expect(replay.error.contains("Note: start/3 has no output (skipped"))
        #expect(try AuditWorkspace.images(in: out) == (try AuditWorkspace.images(in: workspace.root + "/original")))
        #expect(
            try AuditWorkspace.read(out + "/manifest.json")
                == (try AuditWorkspace.read(workspace.root + "/original/manifest.json")))

        let show = try workspace.json(["show", "latest"])
        #expect(show["status"] as? String == "failed")
        let links = try #require(show["links"] as? [[String: Any]])
        let startTwo = try #require(links.first { $0["node"] as? String == "start/2" })
        #expect(startTwo["outcome"] as? String == "failed")
        #expect((startTwo["error"] as? String)?.contains("boom") == true)

        try workspace.succeed(["report", "latest", "--out", workspace.root + "/report.html"])
        let html = String(decoding: try AuditWorkspace.read(workspace.root + "/report.html"), as: UTF8.self)
        #expect(html.components(separatedBy: "<img ").count - 1 == 7)
        #expect(html.contains("<div class=\"empty\">no image</div>"))
    }

    @Test func aMissingOutputExitsThreeAndTheRestIsWritten() throws {
        let workspace = try AuditWorkspace()
        let run = try workspace.json(["run", try workspace.writePlan(scenes: 2)])
        let links = try #require(run["links"] as? [[String: Any]])
        let lost = try #require(links[4]["output"] as? String)  // start/2
        try FileManager.default.removeItem(atPath: workspace.blobPath(lost))
        let out = workspace.root + "/replayed"
        let replay = try workspace.framechain(["replay", "latest", "--out", out])
        #expect(replay.status == 3)
        #expect(replay.error.contains("Error: start/2 (generated) output \(lost) is missing from the store"))
        #expect(
            try AuditWorkspace.images(in: out).keys.sorted() == [
                "end_01.png", "end_02.png", "ref_01.png", "ref_02.png", "start_01.png",
            ])
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(AuditWorkspace.read(out + "/manifest.json"))) as? [String: Any])
        let entry = try #require((manifest["links"] as? [[String: Any]])?.first { $0["node"] as? String == "start/2" })
        #expect(entry["missing"] as? Bool == true)
        #expect(entry["file"] is NSNull)
    }

    @Test func aCorruptOutputIsAnIntegrityFailure() throws {
        let workspace = try AuditWorkspace()
        let run = try workspace.json(["run", try workspace.writePlan(scenes: 1)])
        let output = try #require((run["links"] as? [[String: Any]])?[2]["output"] as? String)
        let path = workspace.blobPath(output)
        var bytes = try AuditWorkspace.read(path)
        bytes[bytes.count - 1] ^= 0x20
        try AuditWorkspace.write(bytes, to: path)
        let replay = try workspace.framechain(["replay", "latest", "--out", workspace.root + "/replayed"])
        #expect(replay.status == 4)
        #expect(replay.error.contains("blob \(output) is corrupt"))
    }
}
