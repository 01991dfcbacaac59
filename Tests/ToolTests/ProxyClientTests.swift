import Foundation
import FrameChainTestKit
import Store
import Testing

/// The official Python clients from PyPI (`replicate`, `openai`), unmodified, against `framechain serve`, which
/// itself calls the loopback stand-in (`fake_provider.py`). Needs the venv of ``ProxyVenv``.
@Suite(.serialized) struct ProxyClientTests {
    static let replicateToken = "r8_ProxyClientSecret0123456789abcdef"
    static let openAIToken = "sk-proxy-client-secret-0123456789abcdef"
    /// A 2×2 RGB PNG: the first request's input image.
    static let initialPNG = [UInt8](
        Data(
            base64Encoded:
                "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGPgEpEDIgYIBQAGTgDxOGMygQAAAABJRU5ErkJggg==")!
    )

    static func prompts(startThree: String = "start of scene three", endFour: String = "end of scene four") -> String {
        let scenes = (1...4).map { number -> String in
            let start = number == 3 ? startThree : "start of scene \(number)"
            let end = number == 4 ? endFour : "end of scene \(number)"
            return #"{"ref": "reference \#(number)", "start": "\#(start)", "end": "\#(end)"}"#
        }
        return #"{"scenes": [\#(scenes.joined(separator: ", "))]}"#
    }

    /// The stand-in's generation calls: Replicate creates and OpenAI images calls.
    static func upstreamCalls(_ stand: FakeProviderServer) throws -> Int {
        try stand.requests("POST") { $0.hasSuffix("/predictions") || $0.hasPrefix("/v1/images/") }.count
    }

    static func runScript(_ directory: String, prompts: String, out: String, proxy: ServeProcess) throws -> (
        status: Int32, output: String
    ) {
        let promptsPath = "\(directory)/prompts-\(UUID().uuidString).json"
        try writeFile(promptsPath, Array(prompts.utf8))
        return try ProxyScripts.run(
            python: ProxyVenv.python, "chain_script.py", [promptsPath, "\(directory)/initial.png", out],
            environment: [
                "REPLICATE_BASE_URL": proxy.baseURL, "OPENAI_BASE_URL": proxy.baseURL + "/v1",
                "REPLICATE_API_TOKEN": replicateToken, "OPENAI_API_KEY": openAIToken,
                "REPLICATE_POLL_INTERVAL": "0.05",
            ])
    }

    static func outputs(_ directory: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for role in ["ref", "start", "end"] {
            for scene in 1...4 { files["\(role)_\(scene)"] = try readFile("\(directory)/\(role)_\(scene).png") }
        }
        return files
    }

    @Test(.enabled(if: ProxyVenv.shouldRun))
    func chainedScriptRecordsReplaysAndExplainsMisses() throws {
        try #require(
            ProxyVenv.available, "CI=true but \(ProxyVenv.directory) has no replicate/openai: .ci/run creates it")
        try withTemporaryDirectory { directory in
            try writeFile("\(directory)/initial.png", Self.initialPNG)
            let store = "\(directory)/store"
            let stand = try FakeProviderServer()
            try stand.control(["derived_openai": true])
            let upstream = ["--upstream-replicate", stand.baseURL, "--upstream-openai", stand.baseURL + "/v1"]
            let recorder = try ServeProcess(["--store", store] + upstream, scratch: directory)

            // First run: every call is a miss and goes upstream.
            let first = try Self.runScript(
                directory, prompts: Self.prompts(), out: "\(directory)/run1", proxy: recorder)
            #expect(first.status == 0, "\(first.output)")
            #expect(try Self.upstreamCalls(stand) == 12)
            let run1 = try Self.outputs("\(directory)/run1")
            #expect(Set(run1.values.map { SHA256.hash(data: $0) }).count == 12)

            // Second run: all hits, the same bytes.
            let second = try Self.runScript(
                directory, prompts: Self.prompts(), out: "\(directory)/run2", proxy: recorder)
            #expect(second.status == 0, "\(second.output)")
            #expect(try Self.upstreamCalls(stand) == 12)
            #expect(try Self.outputs("\(directory)/run2") == run1)

            // One prompt edited: that call and the one fed by its output go upstream, nothing else.
            let edited = Self.prompts(startThree: "start of scene three, at dusk")
            let third = try Self.runScript(directory, prompts: edited, out: "\(directory)/run3", proxy: recorder)
            #expect(third.status == 0, "\(third.output)")
            #expect(try Self.upstreamCalls(stand) == 14)
            let run3 = try Self.outputs("\(directory)/run3")
            let changed = run3.keys.filter { run3[$0] != run1[$0] }.sorted()
            #expect(changed == ["end_3", "start_3"])
            let recordLog = try recorder.stop()
            #expect(recordLog.status == 0, "\(recordLog.error)")

            // The upstream saw the client's token; nothing the proxy wrote or printed holds it.
            let creates = try stand.requests("POST") { $0.hasSuffix("/predictions") }
            #expect(
                creates.allSatisfy {
                    ($0["headers"] as? [String: String])?["authorization"] == "Bearer \(Self.replicateToken)"
                })
            stand.stop()

            // Replay with the upstream gone: the whole edited script, byte for byte.
            let replayer = try ServeProcess(["--store", store, "--mode", "replay"] + upstream, scratch: directory)
            let replay = try Self.runScript(directory, prompts: edited, out: "\(directory)/replay", proxy: replayer)
            #expect(replay.status == 0, "\(replay.output)")
            #expect(try Self.outputs("\(directory)/replay") == run3)

            // A new prompt in replay: the client raises an error naming the miss, its key and the differing field.
            let miss = try Self.runScript(
                directory, prompts: Self.prompts(endFour: "end of scene four, in the rain"), out: "\(directory)/miss",
                proxy: replayer)
            #expect(miss.status == 3, "\(miss.output)")
            #expect(miss.output.contains("replay miss"))
            #expect(miss.output.contains("sha256:"))
            #expect(miss.output.contains("differs in prompt"))
            let replayLog = try replayer.stop()

            // Lineage of the last image reaches the first request's input image.
            let lineage = try runFramechain(
                ["lineage", "\(directory)/replay/end_4.png", "--store", store, "--format", "json"], scratch: directory)
            #expect(lineage.status == 0, "\(lineage.error)")
            let chain = try #require(
                (try JSONSerialization.jsonObject(with: Data(lineage.output)) as? [String: Any])?["chain"]
                    as? [[String: Any]])
            #expect(chain.count == 7)  // end_4 ← start_4 ← ref_4 ← ref_3 ← ref_2 ← ref_1 ← the initial image
            #expect(chain.last?["digest"] as? String == SHA256.hash(data: Self.initialPNG).description)

            // The proxied sessions are runs: runs, show, report and export read them.
            let runs = try runFramechain(["runs", "--store", store], scratch: directory)
            #expect(runs.status == 0)
            #expect(runs.outputText.components(separatedBy: "framechain serve").count - 1 == 2)
            let recordRun = try #require(recorder.runID)
            let show = try runFramechain(["show", recordRun, "--store", store], scratch: directory)
            #expect(show.status == 0)
            #expect(show.outputText.contains("36 links: hit 22, generated 14"))
            let report = try runFramechain(
                ["report", recordRun, "--store", store, "--out", "\(directory)/report.html"], scratch: directory)
            #expect(report.status == 0, "\(report.error)")
            let export = try runFramechain(
                ["export", recordRun, "--store", store, "--to", "\(directory)/session.fcbundle"], scratch: directory)
            #expect(export.status == 0, "\(export.error)")
            let imported = try runFramechain(
                ["import", "\(directory)/session.fcbundle", "--store", "\(directory)/other"], scratch: directory)
            #expect(imported.status == 0, "\(imported.error)")
            let lineageThere = try runFramechain(
                ["lineage", "\(directory)/run3/end_4.png", "--store", "\(directory)/other", "--format", "json"],
                scratch: directory)
            let lineageHere = try runFramechain(
                ["lineage", "\(directory)/run3/end_4.png", "--store", store, "--format", "json"], scratch: directory)
            #expect(lineageThere.status == 0 && lineageThere.output == lineageHere.output)

            // Secrets: not in the store's files, not in the proxy's output, not in the clients' output.
            var texts = [recordLog.outputText, recordLog.error, replayLog.outputText, replayLog.error]
            texts += [first.output, second.output, third.output, replay.output, miss.output]
            for token in [Self.replicateToken, Self.openAIToken] {
                #expect(!texts.contains { $0.contains(token) })
                #expect(try filesContaining(Array(token.utf8), under: store).isEmpty)
                #expect(try filesContaining(Array(token.utf8), under: "\(directory)/session.fcbundle").isEmpty)
            }
        }
    }
}

extension ProxyClientTests {
    /// The README's third example: its Python block, as printed, live through the proxy and then in replay mode
    /// with the stand-in stopped.
    @Test(.enabled(if: ProxyVenv.shouldRun))
    func readmeExampleRunsLiveThenReplaysOffline() throws {
        try #require(ProxyVenv.available, "CI=true but \(ProxyVenv.directory) has no replicate/openai")
        let readme = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Caching proxy").dropFirst().first)
        let script = try #require(
            section.components(separatedBy: "```python\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(script.split(separator: "\n").count == 5)
        try withTemporaryDirectory { directory in
            try writeFile("\(directory)/bottle.py", Array(script.utf8))
            let stand = try FakeProviderServer()
            let store = "\(directory)/store"
            let live = try ServeProcess(
                ["--store", store, "--upstream-openai", stand.baseURL + "/v1"], scratch: directory)
            let environment = ["OPENAI_BASE_URL": live.baseURL + "/v1", "OPENAI_API_KEY": "sk-readme"]
            let first = try ProxyScripts.run(
                python: ProxyVenv.python, "\(directory)/bottle.py", [], environment: environment,
                workingDirectory: directory)
            #expect(first.status == 0 && first.output == "wrote bottle.png\n", "\(first.output)")
            let recorded = try readFile("\(directory)/bottle.png")
            try live.stop()
            stand.stop()
            try FileManager.default.removeItem(atPath: "\(directory)/bottle.png")
            let replay = try ServeProcess(["--store", store, "--mode", "replay"], scratch: directory)
            let second = try ProxyScripts.run(
                python: ProxyVenv.python, "\(directory)/bottle.py", [],
                environment: ["OPENAI_BASE_URL": replay.baseURL + "/v1", "OPENAI_API_KEY": "sk-readme"],
                workingDirectory: directory)
            #expect(second.status == 0, "\(second.output)")
            #expect(try readFile("\(directory)/bottle.png") == recorded)
            try replay.stop()
        }
    }
}

/// Every regular file under `root` (or `root` itself) whose bytes contain `needle`.
func filesContaining(_ needle: [UInt8], under root: String) throws -> [String] {
    var paths = [root]
    if let enumerator = FileManager.default.enumerator(atPath: root) {
        paths = enumerator.compactMap { $0 as? String }.map { "\(root)/\($0)" }
    }
    return try paths.filter { path in
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return false
        }
        let bytes = try readFile(path)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}

extension ProxyClientTests {
    /// `replicate.run("owner/name:<version>")`, the pinned form careful pipelines use, reads the model version after
    /// the create: the proxy fetches it once, keeps it, and answers it from the store afterwards and in replay.
    @Test(.enabled(if: ProxyVenv.shouldRun))
    func aPinnedVersionRecordsOnceAndReplaysOffline() throws {
        try #require(ProxyVenv.available, "CI=true but \(ProxyVenv.directory) has no replicate/openai")
        let version = String(repeating: "f0a9d34b", count: 8)
        let reference = "google/nano-banana:\(version)"
        let versionPath = "/v1/models/google/nano-banana/versions/\(version)"
        try withTemporaryDirectory { directory in
            let stand = try FakeProviderServer()
            let store = "\(directory)/store"
            let upstream = ["--upstream-replicate", stand.baseURL]
            func run(_ proxy: ServeProcess, _ prompt: String, _ out: String) throws -> (status: Int32, output: String) {
                try ProxyScripts.run(
                    python: ProxyVenv.python, "version_script.py", [reference, prompt, "\(directory)/\(out)"],
                    environment: [
                        "REPLICATE_BASE_URL": proxy.baseURL, "REPLICATE_API_TOKEN": Self.replicateToken,
                        "REPLICATE_POLL_INTERVAL": "0.05",
                    ])
            }
            let recorder = try ServeProcess(["--store", store] + upstream, scratch: directory)
            let first = try run(recorder, "a lighthouse", "first.png")
            #expect(first.status == 0, "\(first.output)")
            #expect(try stand.requests("POST") { $0 == "/v1/predictions" }.count == 1)
            #expect(try stand.requests("GET") { $0 == versionPath }.count == 1)
            // Again: the prediction and the version both come from the store.
            let second = try run(recorder, "a lighthouse", "second.png")
            #expect(second.status == 0, "\(second.output)")
            #expect(try readFile("\(directory)/second.png") == readFile("\(directory)/first.png"))
            #expect(try stand.requests("POST") { $0 == "/v1/predictions" }.count == 1)
            #expect(try stand.requests("GET") { $0 == versionPath }.count == 1)
            try recorder.stop()
            stand.stop()

            // gc keeps the kept version (its blob is referenced), and verify accepts the store.
            let gc = try runFramechain(["gc", "--grace", "0", "--store", store], scratch: directory)
            #expect(gc.status == 0, "\(gc.error)")
            #expect(try runFramechain(["verify", "--store", store], scratch: directory).status == 0)

            // Replay with the upstream gone: byte for byte; a version never fetched is a clear miss.
            let replayer = try ServeProcess(["--store", store, "--mode", "replay"] + upstream, scratch: directory)
            let replay = try run(replayer, "a lighthouse", "replay.png")
            #expect(replay.status == 0, "\(replay.output)")
            #expect(try readFile("\(directory)/replay.png") == readFile("\(directory)/first.png"))
            let other = try LocalHTTP.request(
                port: replayer.port, method: "GET", path: "/v1/models/google/nano-banana/versions/0123abcd")
            #expect(other.status == 404)
            #expect(String(decoding: other.body, as: UTF8.self).contains("was never fetched through this proxy"))
            try replayer.stop()
            #expect(try filesContaining(Array(Self.replicateToken.utf8), under: store).isEmpty)
        }
    }
}
