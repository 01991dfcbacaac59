import FrameChainTestKit
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// End-to-end runs of the built `framechain` with the `replicate` backend against the fake server
/// (`BackendsTests/Servers/fake_provider.py`) on 127.0.0.1: real processes, real HTTP, real signals.
@Suite(.serialized) struct ReplicateRunTests {
    /// A token distinctive enough that any copy of it, anywhere, is a leak.
    static let token = "r8_SECRET_e2e_4f1c9a"
    /// A marker that only the `start` prompt of scene 2 carries; the server fails creates whose prompt has it.
    static let failMarker = "OVERLOADED-MARKER"

    /// The prompts of a plan whose `start/2` the server refuses (once `fail_prompt` is set).
    static func failingStartTwo(_ scene: Int, _ role: String) -> String {
        scene == 2 && role == "start" ? "\(role) of scene \(scene) \(failMarker)" : "\(role) of scene \(scene)"
    }

    // MARK: - 1. Retry budget spent

    @Test func aSpentRetryBudgetFailsTheLinkSkipsItsChainAndFinishesTheOthers() throws {
        let workspace = try ReplicateWorkspace()
        defer { workspace.close() }
        try workspace.server.control(["fail_prompt": Self.failMarker])
        let plan = try workspace.writePlan(prompt: Self.failingStartTwo)

        let result = try workspace.framechain(["run", plan, "--json"])
        #expect(result.status == 1, "\(result.error)")
        let document = try parseJSON(result.output)
        #expect(document["status"] as? String == "failed")
        let links = try linksByNode(document)
        #expect(links.count == 9)

        let failed = try #require(links["start/2"])
        #expect(failed["outcome"] as? String == "failed")
        let error = failed["error"] as? String ?? ""
        // retries 2 → 3 attempts in all.
        #expect(error.contains("HTTP 500 from replicate after 3 attempts"), "\(error)")
        #expect(error.contains("the model is overloaded"), "\(error)")
        #expect(failed["output"] is NSNull)

        let skipped = try #require(links["start/3"])
        #expect(skipped["outcome"] as? String == "skipped")
        #expect(skipped["reason"] as? String == "upstream start/2 failed")
        #expect(skipped["output"] is NSNull)

        for node in ["ref/1", "ref/2", "ref/3", "start/1", "end/1", "end/2", "end/3"] {
            #expect(links[node]?["outcome"] as? String == "generated", "\(node)")
            #expect((links[node]?["output"] as? String)?.hasPrefix("sha256:") == true, "\(node)")
        }

        // The server saw exactly the three attempts for start/2, and nothing for start/3.
        let creates = try workspace.server.requests("POST") { $0 == "/v1/models/google/nano-banana/predictions" }
        let prompts = creates.compactMap {
            (($0["json"] as? [String: Any])?["input"] as? [String: Any])?["prompt"] as? String
        }
        #expect(prompts.count { $0.contains(Self.failMarker) } == 3)
        #expect(prompts.count == 3 + 7)

        // The run is recorded as failed, with the error kept.
        let show = try parseJSON(try workspace.succeed(["show", "latest", "--json"]).output)
        #expect(show["id"] as? String == document["run"] as? String)
        #expect(show["status"] as? String == "failed")
        let shown = try linksByNode(show)
        #expect(shown["start/2"]?["outcome"] as? String == "failed")
        #expect((shown["start/2"]?["error"] as? String)?.contains("after 3 attempts") == true)
        #expect(shown["start/3"]?["outcome"] as? String == "skipped")
    }

    // MARK: - 2. SIGINT while polling

    @Test func sigintWhilePollingCancelsThePredictionAndExits130() throws {
        let workspace = try ReplicateWorkspace(scenario: "hang")
        defer { workspace.close() }
        let plan = try workspace.writePlan(scenes: 1)
        let child = try workspace.launch(["run", plan, "--json"])
        defer {
            if child.process.isRunning {
                kill(child.process.processIdentifier, SIGKILL)
                child.process.waitUntilExit()
            }
        }

        // Wait until the prediction has been polled at least once (the child is then inside the poll loop).
        var polls: [[String: Any]] = []
        for _ in 0..<400 where polls.isEmpty && child.process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            polls = try workspace.server.requests("GET") { $0.hasPrefix("/v1/predictions/") }
        }
        let path = try #require(polls.first?["path"] as? String, "the child never polled a prediction")
        let id = String(path.dropFirst("/v1/predictions/".count))

        kill(child.process.processIdentifier, SIGINT)
        let result = try workspace.finish(child)
        #expect(!result.signaled)
        #expect(result.status == 130, "\(result.error)")

        let cancels = try workspace.server.requests("POST") { $0 == "/v1/predictions/\(id)/cancel" }
        #expect(cancels.count == 1)
        #expect((cancels.first?["headers"] as? [String: Any])?["authorization"] as? String == "Bearer \(Self.token)")

        let document = try parseJSON(result.output)
        #expect(document["status"] as? String == "interrupted")
        #expect(try linksByNode(document).values.allSatisfy { $0["outcome"] as? String == "skipped" })

        let runs = try parseJSON(try workspace.succeed(["runs", "--json"]).output)["runs"] as? [[String: Any]] ?? []
        #expect(runs.count == 1)
        #expect(runs.first?["status"] as? String == "interrupted")
        #expect(runs.first?["id"] as? String == document["run"] as? String)
    }

    // MARK: - 3. Secrets

    @Test func theTokenAppearsNowhere() throws {
        let workspace = try ReplicateWorkspace()
        defer { workspace.close() }
        let out = workspace.root + "/out"
        let bundle = workspace.root + "/run.bundle"

        // A full successful storyboard, written out and exported.
        let plan = try workspace.writePlan()
        #expect(try workspace.framechain(["run", plan, "--out", out]).status == 0)
        try workspace.succeed(["export", "latest", "--to", bundle])

        // A failing run whose provider error quotes the Authorization header back.
        try workspace.server.control(["fail_prompt": Self.failMarker, "echo_token": true])
        let failing = try workspace.writePlan("failing.json", prompt: Self.failingStartTwo)
        let failedJSON = try workspace.framechain(["run", failing, "--json", "--out", workspace.root + "/out-failed"])
        #expect(failedJSON.status == 1)
        let failedText = try workspace.framechain(["run", failing])
        #expect(failedText.status == 1)
        let error = try linksByNode(try parseJSON(failedJSON.output))["start/2"]?["error"] as? String ?? ""
        // The provider's text reached the error (so the scrubbing, not its absence, keeps the token out).
        #expect(error.contains("the model is overloaded (request authorized with Bearer "), "\(error)")

        // Everything that reads the store and prints.
        for plan in [plan, failing] {
            try workspace.succeed(["status", plan])
            try workspace.succeed(["status", plan, "--json"])
        }
        try workspace.succeed(["show", "latest"])
        try workspace.succeed(["show", "latest", "--json"])
        try workspace.succeed(["runs", "--json"])
        try workspace.succeed(["lineage", "latest:end/3", "--format", "json"])
        try workspace.succeed(["lineage", "latest:ref/3"])
        try workspace.succeed(["report", "latest", "--out", out + "/report.html"])

        // The token really was in play: the server saw it on every create.
        let creates = try workspace.server.requests("POST") { $0.hasSuffix("/predictions") }
        #expect(creates.count >= 9 + 3)
        #expect(
            creates.allSatisfy {
                ($0["headers"] as? [String: Any])?["authorization"] as? String == "Bearer \(Self.token)"
            })

        // Not a byte of it anywhere framechain wrote, nor in anything it printed.
        let needles = [Self.token, "SECRET_e2e"].map { Array($0.utf8) }
        var searched = 0
        for directory in [workspace.store, out, workspace.root + "/out-failed"] {
            for path in regularFiles(under: directory) {
                let bytes = try readFile(path)
                searched += 1
                let leaked = needles.contains { contains(bytes, $0) }
                #expect(!leaked, "the token leaked into \(path)")
            }
        }
        #expect(searched > 9)
        let bundleBytes = try readFile(bundle)
        #expect(bundleBytes.count > 0)
        let leakedIntoBundle = needles.contains { contains(bundleBytes, $0) }
        #expect(!leakedIntoBundle, "the token leaked into the bundle")
        #expect(workspace.transcript.count >= 2 * 14)
        for (index, text) in workspace.transcript.enumerated() {
            let leaked = needles.contains { contains(Array(text.utf8), $0) }
            #expect(!leaked, "the token leaked in output #\(index): \(text)")
        }
    }

    // MARK: - 4. Record, then replay offline

    @Test func aRecordedRunReplaysOfflineByteForByte() throws {
        let workspace = try ReplicateWorkspace()
        defer { workspace.close() }
        let plan = try workspace.writePlan()
        let out1 = workspace.root + "/out1"
        let recorded = try workspace.framechain(["run", plan, "--out", out1, "--json"])
        #expect(recorded.status == 0, "\(recorded.error)")
        let runID = try #require(try parseJSON(recorded.output)["run"] as? String)
        let original = try AuditWorkspace.images(in: out1)
        #expect(original.count == 9)
        // The fake server makes different bytes for different requests, so the comparisons below mean something.
        #expect(Set(original.values).count == 9)

        // No provider from here on.
        let port = workspace.server.port
        workspace.server.stop()
        switch LocalHTTP.connect(port: port) {
        case .success(let fd):
            close(fd)
            Issue.record("the stopped server's port still accepts connections")
        case .failure(let error):
            #expect(error.code == .ECONNREFUSED)
        }

        let out2 = workspace.root + "/out2"
        let offline = try workspace.framechain(["run", plan, "--offline", "--out", out2, "--json"])
        #expect(offline.status == 0, "\(offline.error)")
        #expect(try linksByNode(try parseJSON(offline.output)).values.allSatisfy { $0["outcome"] as? String == "hit" })
        #expect(try AuditWorkspace.images(in: out2) == original)
        try expectSameLinks(out2, out1)

        let out3 = workspace.root + "/out3"
        let replay = try workspace.framechain(["replay", runID, "--out", out3])
        #expect(replay.status == 0, "\(replay.error)")
        #expect(try AuditWorkspace.images(in: out3) == original)
        try expectSameLinks(out3, out1)
        // replay of the run itself gives its very manifest.
        #expect(try readFile(out3 + "/manifest.json") == (try readFile(out1 + "/manifest.json")))

        // Move the run to a fresh store elsewhere, and run the plan offline there.
        let bundle = workspace.root + "/run.bundle"
        try workspace.succeed(["export", runID, "--to", bundle])
        let elsewhere = workspace.root + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: plan, toPath: elsewhere + "/plan.json")
        try FileManager.default.copyItem(atPath: workspace.root + "/bottle.png", toPath: elsewhere + "/bottle.png")
        let otherStore = elsewhere + "/store"
        try workspace.succeed(["import", bundle], store: otherStore)
        let out4 = elsewhere + "/out"
        let imported = try workspace.framechain(
            ["run", elsewhere + "/plan.json", "--offline", "--out", out4], store: otherStore)
        #expect(imported.status == 0, "\(imported.error)")
        #expect(try AuditWorkspace.images(in: out4) == original)
        try expectSameLinks(out4, out1)
        #expect(try auditStore(otherStore).problems.isEmpty)
    }

    // MARK: - 5. Model versions

    @Test func statusWarnsWhenCachedLinksCameFromDifferentModelVersions() throws {
        let workspace = try ReplicateWorkspace()
        defer { workspace.close() }
        let plan = try workspace.writePlan()
        #expect(try workspace.framechain(["run", plan]).status == 0)

        let clean = try workspace.succeed(["status", plan])
        #expect(!clean.error.contains("Warning"), "\(clean.error)")
        #expect(try parseJSON(try workspace.succeed(["status", plan, "--json"]).output)["warnings"] as? [String] == [])

        // The provider updates the model behind the unchanged name; one prompt changes.
        try workspace.server.control(["version": "v-fake-2"])
        let changed = try workspace.writePlan { scene, role in
            scene == 2 && role == "end" ? "end of scene 2, now at dusk" : "\(role) of scene \(scene)"
        }
        #expect(changed == plan)
        let before = try workspace.succeed(["status", plan])
        #expect(!before.error.contains("Warning"), "\(before.error)")

        let rerun = try workspace.framechain(["run", plan, "--json"])
        #expect(rerun.status == 0, "\(rerun.error)")
        let outcomes = try linksByNode(try parseJSON(rerun.output))
        let generated = Set(outcomes.filter { $0.value["outcome"] as? String == "generated" }.keys)
        // end/2's prompt changed; its new image changes end/3's reference.
        #expect(generated == ["end/2", "end/3"])

        let status = try workspace.succeed(["status", plan])
        let warning = try #require(
            status.error.split(separator: "\n").first { $0.hasPrefix("Warning: ") }.map(String.init),
            "no warning: \(status.error)")
        #expect(warning.contains("v-fake-1"))
        #expect(warning.contains("v-fake-2"))
        // It says which links came from which version, oldest version first.
        #expect(
            warning.contains("v-fake-1 for 7 links (ref/1, start/1, end/1, ref/2, start/2, ref/3, start/3)"),
            "\(warning)")
        #expect(warning.contains("v-fake-2 for 2 links (end/2, end/3)"), "\(warning)")

        let json = try parseJSON(try workspace.succeed(["status", plan, "--json"]).output)
        let warnings = json["warnings"] as? [String] ?? []
        #expect(warnings.count == 1)
        #expect(warnings.first.map { "Warning: " + $0 } == warning)
        let versions = try linksByNode(json).mapValues { $0["model_version"] as? String }
        #expect(versions["end/2"] == "v-fake-2")
        #expect(versions["end/3"] == "v-fake-2")
        #expect(versions["start/3"] == "v-fake-1")
        #expect(versions.values.count { $0 == "v-fake-1" } == 7)
    }
}

// MARK: - Workspace

/// A scratch directory with an initial image, the fake Replicate server, and `framechain` run against both with
/// `REPLICATE_API_TOKEN` set. Everything framechain prints is kept in ``transcript``. Call ``close()`` when done.
private final class ReplicateWorkspace {
    let root: String
    let server: FakeProviderServer
    /// Every standard output and standard error of every framechain process, in order.
    private(set) var transcript: [String] = []
    var store: String { root + "/store" }

    init(scenario: String = "ok") throws {
        var template = Array((NSTemporaryDirectory() + "/framechain-replicate-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        let root = String(cString: created)
        do {
            try FileManager.default.createDirectory(atPath: root + "/scratch", withIntermediateDirectories: true)
            try writeFile(root + "/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
            server = try FakeProviderServer(scenario: scenario)
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
        self.root = root
    }

    /// Stops the server and removes the directory.
    func close() {
        server.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { close() }

    /// Writes a plan of `scenes` scenes for `google/nano-banana` on the fake server and returns its path.
    @discardableResult
    func writePlan(
        _ name: String = "plan.json", scenes: Int = 3,
        prompt: (Int, String) -> String = { "\($1) of scene \($0)" }
    ) throws -> String {
        let plan: [String: Any] = [
            "format": "framechain.plan/v1",
            "name": "replicate-e2e",
            "generator": [
                "backend": "replicate",
                "model": "google/nano-banana",
                "params": ["output_format": "png"],
                "options": [
                    "base_url": server.baseURL, "poll_interval_ms": 20, "retries": 2, "retry_base_ms": 10,
                    "retry_max_ms": 100, "timeout_s": 10,
                ],
            ],
            "initial_reference": "bottle.png",
            "consistency": ["subject_description": "a faceted glass perfume bottle"],
            "scenes": (1...scenes).map { scene in
                ["reference": prompt(scene, "reference"), "start": prompt(scene, "start"), "end": prompt(scene, "end")]
            },
        ]
        let path = root + "/" + name
        try JSONSerialization.data(withJSONObject: plan, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs `framechain ARGUMENTS --store STORE` to completion.
    func framechain(_ arguments: [String], store: String? = nil) throws -> ProcessResult {
        try finish(try launch(arguments, store: store))
    }

    /// Runs framechain and requires exit status 0.
    @discardableResult
    func succeed(_ arguments: [String], store: String? = nil) throws -> ProcessResult {
        let result = try framechain(arguments, store: store)
        #expect(result.status == 0, "framechain \(arguments.joined(separator: " ")): \(result.error)")
        return result
    }

    /// Starts `framechain ARGUMENTS --store STORE` in ``root``.
    func launch(_ arguments: [String], store: String? = nil) throws -> LaunchedProcess {
        try launchFramechain(
            arguments + ["--store", store ?? self.store], scratch: root + "/scratch", workingDirectory: root,
            environment: ["REPLICATE_API_TOKEN": ReplicateRunTests.token])
    }

    /// Waits for a launched process and keeps what it printed.
    func finish(_ launched: LaunchedProcess) throws -> ProcessResult {
        let result = try launched.finish()
        transcript += [result.outputText, result.error]
        return result
    }
}

// MARK: - Helpers

private func parseJSON(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], "not a JSON object")
}

/// A document's `links`, by node.
private func linksByNode(_ document: [String: Any]) throws -> [String: [String: Any]] {
    let links = try #require(document["links"] as? [[String: Any]], "no links")
    return Dictionary(links.map { ($0["node"] as? String ?? "", $0) }) { first, _ in first }
}

/// Expects two output directories' manifests to name the same outputs for the same nodes (the run ids may differ).
private func expectSameLinks(
    _ directory: String, _ reference: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    func links(_ directory: String) throws -> [[String?]] {
        let manifest = try parseJSON(try readFile(directory + "/manifest.json"))
        let links = try #require(manifest["links"] as? [[String: Any]])
        return links.map { [$0["node"] as? String, $0["output"] as? String, $0["file"] as? String] }
    }
    let expected = try links(reference)
    #expect(expected.count == 9, sourceLocation: sourceLocation)
    #expect(try links(directory) == expected, sourceLocation: sourceLocation)
}

/// Every regular file under `directory`.
private func regularFiles(under directory: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    var files: [String] = []
    while let relative = walker.nextObject() as? String {
        let path = directory + "/" + relative
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files.append(path)
        }
    }
    return files
}

/// Whether `needle` occurs in `haystack` (raw bytes).
private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
}
