import FrameChainTestKit
import Foundation
import Testing

@testable import Store

/// Writes a procedural plan of `scenes` scenes with a simulated latency, and its initial image.
private func writeSlowPlan(in directory: String, scenes: Int, latency: Int, name: String = "slow") throws -> String {
    let sceneList = (1...scenes).map { i in
        #"{"reference": "harbour at dawn, scene \#(i)", "start": "boat leaves, scene \#(i)", "end": "boat far away, scene \#(i)"}"#
    }.joined(separator: ",\n")
    let plan = """
        {
          "format": "framechain.plan/v1",
          "name": "\(name)",
          "generator": {"backend": "procedural", "model": "procedural-v1",
                        "params": {"width": 48, "height": 64}, "options": {"latency_ms": \(latency)}},
          "initial_reference": "bottle.png",
          "consistency": {"subject_description": "a red fishing boat", "mood": "calm"},
          "scenes": [\(sceneList)]
        }
        """
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try writeFile(directory + "/plan.json", Array(plan.utf8))
    try writeFile(directory + "/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
    return directory + "/plan.json"
}

/// Waits (up to 30 s) until the store at `store` has committed `count` generations; returns whether it did.
private func waitForGenerations(in store: String, atLeast count: Int) -> Bool {
    for _ in 0..<600 {
        if FileManager.default.fileExists(atPath: store + "/framechain.sqlite"),
            let committed = try? Store(directory: store).read({ db in
                try db.row("SELECT count(*) FROM generations")?.int(0) ?? 0
            }), committed >= count
        {
            return true
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return false
}

/// The repository's `fixtures/` folder.
func fixturesDirectory() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures").path
}

/// Parses a JSON document printed by the tool.
private func json(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

private func links(_ document: [String: Any]) -> [[String: Any]] {
    document["links"] as? [[String: Any]] ?? []
}

@Suite(.serialized) struct RunCommandTests {
    @Test func theReadmeExampleProducesEveryImageAndAManifest() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let out = dir + "/out"
            let result = try runFramechain(
                ["run", fixturesDirectory() + "/plans/perfume-ad.json", "--store", store, "--out", out, "--json"],
                scratch: dir)
            #expect(result.status == 0, "\(result.error)")
            #expect(result.error.isEmpty, "no progress line when standard error is not a terminal")
            let document = try json(result.output)
            #expect(document["status"] as? String == "succeeded")
            #expect(links(document).count == 12)
            let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
            #expect(files.contains("manifest.json"))
            for scene in 1...4 {
                for role in ["ref", "start", "end"] {
                    let name = "\(role)_0\(scene).png"
                    #expect(files.contains(name))
                    let bytes = try readFile(out + "/" + name)
                    let reported = links(document).first { $0["node"] as? String == "\(role)/\(scene)" }
                    #expect(reported?["output"] as? String == SHA256.hash(data: bytes).description)
                }
            }
            // A second run is all hits.
            let again = try runFramechain(
                ["run", fixturesDirectory() + "/plans/perfume-ad.json", "--store", store, "--json"], scratch: dir)
            #expect(links(try json(again.output)).allSatisfy { $0["outcome"] as? String == "hit" })
        }
    }

    @Test func aTerminalShowsAProgressLine() throws {
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux's script(1) gives the run a pty")
        try withTemporaryDirectory { dir in
            let plan = try writeSlowPlan(in: dir, scenes: 2, latency: 0)
            let command = "'\(try framechainBinary())' run '\(plan)' --store '\(dir)/store'"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: script)
            process.arguments = ["-qec", command, "/dev/null"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(output)")
            #expect(output.contains("[6/6] hits 0 · generating 0 · generated 6 · failed 0"), "\(output)")
            #expect(output.contains("succeeded: 6 links"))
        }
    }

    @Test func aRunKilledMidwayResumesWithOnlyTheUnfinishedLinks() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let plan = try writeSlowPlan(in: dir, scenes: 4, latency: 250)
            let child = try launchFramechain(["run", plan, "--store", store, "--jobs", "2"], scratch: dir)
            // Wait until some generations are committed, then kill -9.
            #expect(waitForGenerations(in: store, atLeast: 3))
            kill(child.process.processIdentifier, SIGKILL)
            let killed = try child.finish()
            #expect(killed.signaled)

            let status = try json(try runFramechain(["status", plan, "--store", store, "--json"], scratch: dir).output)
            let cached = Set(
                links(status).filter { $0["state"] as? String == "cached" }.compactMap { $0["node"] as? String })
            #expect(cached.count >= 3)
            #expect(cached.count < 12)

            let rerun = try runFramechain(["run", plan, "--store", store, "--json"], scratch: dir)
            #expect(rerun.status == 0, "\(rerun.error)")
            let outcome = links(try json(rerun.output))
            let hits = Set(outcome.filter { $0["outcome"] as? String == "hit" }.compactMap { $0["node"] as? String })
            let generated = outcome.filter { $0["outcome"] as? String == "generated" }.count
            #expect(hits == cached)
            #expect(generated == 12 - cached.count)
            let audit = try auditStore(store)
            #expect(audit.problems.isEmpty, "\(audit.problems)")
        }
    }

    @Test func twoRunsOnOneStoreAtOnceBothFinish() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let first = try writeSlowPlan(in: dir + "/a", scenes: 3, latency: 30, name: "a")
            let second = try writeSlowPlan(in: dir + "/b", scenes: 3, latency: 30, name: "b")
            let one = try launchFramechain(["run", first, "--store", store], scratch: dir)
            let two = try launchFramechain(["run", second, "--store", store], scratch: dir)
            let (a, b) = (try one.finish(), try two.finish())
            #expect(a.status == 0, "\(a.error)")
            #expect(b.status == 0, "\(b.error)")
            #expect(!a.error.contains("SQLite") && !b.error.contains("SQLite"))
            let runs = try Store(directory: store).runs()
            #expect(runs.count == 2)
            #expect(runs.allSatisfy { $0.status == .succeeded })
            #expect(try auditStore(store).problems.isEmpty)
        }
    }

    @Test func sigintStopsTheRunRecordsItInterruptedAndExits130() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let plan = try writeSlowPlan(in: dir, scenes: 4, latency: 400)
            let child = try launchFramechain(["run", plan, "--store", store, "--jobs", "1"], scratch: dir)
            #expect(waitForGenerations(in: store, atLeast: 1))
            kill(child.process.processIdentifier, SIGINT)
            let result = try child.finish()
            #expect(result.status == 130, "\(result.error)")
            let runs = try Store(directory: store).runs()
            #expect(runs.map(\.status) == [.interrupted])
            #expect(
                try Store(directory: store).generation(
                    for: #require(try Store(directory: store).links(ofRun: runs[0].id).first?.key)) != nil)
        }
    }

    @Test func badPlansExit2AndNameTheProblem() throws {
        try withTemporaryDirectory { dir in
            try writeFile(dir + "/broken.json", Array("{\n  \"format\": \"framechain.plan/v1\",\n  \"name\": }".utf8))
            let result = try runFramechain(["run", dir + "/broken.json", "--store", dir + "/store"], scratch: dir)
            #expect(result.status == 2)
            #expect(result.error.hasPrefix("Error: \(dir)/broken.json:3:11: "))
            #expect(!FileManager.default.fileExists(atPath: dir + "/store"))

            let missing = try runFramechain(["status", dir + "/nope.json", "--store", dir + "/store"], scratch: dir)
            #expect(missing.status == 2)
            #expect(missing.error.contains("nope.json"))
        }
    }

    @Test func usageErrorsExit64() throws {
        try withTemporaryDirectory { dir in
            let plan = try writeSlowPlan(in: dir, scenes: 1, latency: 0)
            #expect(try runFramechain(["run", plan, "--take", "start/x=2"], scratch: dir).status == 64)
            #expect(try runFramechain(["run", plan, "--jobs", "0"], scratch: dir).status == 64)
            // A take for a node the plan does not have says why: too few scenes, or no clips stage.
            let scene = try runFramechain(["status", plan, "--take", "ref/2=2"], scratch: dir)
            #expect(scene.status == 64 && scene.error.contains("--take ref/2=2: the plan has only 1 scene"))
            let clip = try runFramechain(["status", plan, "--take", "clip/1=2"], scratch: dir)
            #expect(clip.status == 64 && clip.error.contains("--take clip/1=2: the plan has no clips stage"))
        }
    }

    @Test func offlineRunWithMissingLinksExits3AndListsThem() throws {
        try withTemporaryDirectory { dir in
            let plan = try writeSlowPlan(in: dir, scenes: 2, latency: 0)
            let result = try runFramechain(["run", plan, "--store", dir + "/store", "--offline"], scratch: dir)
            #expect(result.status == 3)
            #expect(result.error.contains("ref/1: new"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/store"))
            let status = try runFramechain(["status", plan, "--store", dir + "/store"], scratch: dir)
            #expect(status.status == 0)
            #expect(status.outputText.contains("ref/1     regenerate  new"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/store"))
        }
    }
}
