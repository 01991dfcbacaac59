import FrameChainTestKit
import Foundation
import Testing

@testable import Store

/// Writes a small plan for `backend` (with `options` as JSON text) and its initial image into `directory`.
private func writePlan(
    in directory: String, backend: String = "procedural", model: String = "procedural-v1", options: String = "{}",
    scenes: Int = 2
) throws -> String {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let sceneList = (1...scenes).map { #"{"reference": "r\#($0)", "start": "s\#($0)", "end": "e\#($0)"}"# }
    let plan = """
        {"format": "framechain.plan/v1", "name": "inputs",
         "generator": {"backend": "\(backend)", "model": "\(model)", "params": {"width": 16, "height": 16},
                       "options": \(options)},
         "initial_reference": "bottle.png", "scenes": [\(sceneList.joined(separator: ","))]}
        """
    try writeFile(directory + "/plan.json", Array(plan.utf8))
    try writeFile(directory + "/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
    return directory + "/plan.json"
}

@Suite struct RunCommandInputTests {
    @Test func anOutputPathThatIsAFileFailsBeforeAnythingIsGenerated() throws {
        try withTemporaryDirectory { dir in
            let plan = try writePlan(in: dir)
            try writeFile(dir + "/taken", [1])
            let result = try runFramechain(["run", plan, "--store", dir + "/store", "--out", dir + "/taken"], scratch: dir)
            #expect(result.status == 2)
            #expect(result.error == "Error: --out \(dir)/taken: exists and is not a directory\n")
            #expect(!FileManager.default.fileExists(atPath: dir + "/store"))
        }
    }

    @Test func statusChecksTheGeneratorLikeRun() throws {
        try withTemporaryDirectory { dir in
            let plan = try writePlan(in: dir, backend: "midjourney")
            for command in ["status", "run"] {
                let result = try runFramechain([command, plan, "--store", dir + "/store"], scratch: dir)
                #expect(result.status == 2)
                #expect(
                    result.error
                        == "Error: \(plan): generator: unknown backend \"midjourney\" (expected procedural, command, "
                        + "replicate, openai or ffmpeg)\n")
            }
            let typo = try writePlan(in: dir, options: #"{"latncy_ms": 5}"#)
            let result = try runFramechain(["status", typo, "--store", dir + "/store"], scratch: dir)
            #expect(result.status == 2)
            #expect(result.error.hasPrefix("Error: \(typo): generator: unknown option \"latncy_ms\" for backend procedural"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/store"))
        }
    }

    @Test func anOfflineMissAlsoNamesTheLinksWaitingBehindIt() throws {
        try withTemporaryDirectory { dir in
            let plan = try writePlan(in: dir, scenes: 2)
            let result = try runFramechain(["run", plan, "--store", dir + "/store", "--offline"], scratch: dir)
            #expect(result.status == 3)
            #expect(
                result.error
                    == "Error: offline: 1 link(s) would need generating:\n  ref/1: new\nand 5 more wait on them "
                    + "(their keys depend on the new images): start/1, end/1, ref/2, start/2, end/2\n")
        }
    }

    @Test func aMissingTokenFailsUpFrontWithExit2AndRecordsNoRun() throws {
        try withTemporaryDirectory { dir in
            let plan = try writePlan(
                in: dir, backend: "replicate", model: "google/nano-banana",
                options: #"{"base_url": "http://127.0.0.1:9"}"#)
            let result = try runFramechain(
                ["run", plan, "--store", dir + "/store"], scratch: dir, environment: ["REPLICATE_API_TOKEN": ""])
            #expect(result.status == 2)
            #expect(
                result.error
                    == "Error: \(plan): generator: the replicate backend needs an API token to generate 6 link(s) "
                    + "(first ref/1): set REPLICATE_API_TOKEN in the environment\n")
            #expect(try Store(directory: dir + "/store").runs().isEmpty)
        }
    }

    @Test func takesBeyondExactJSONNumbersAreUsageErrors() throws {
        try withTemporaryDirectory { dir in
            let plan = try writePlan(in: dir)
            let result = try runFramechain(
                ["run", plan, "--store", dir + "/store", "--take", "ref/1=9007199254740992"], scratch: dir)
            #expect(result.status == 64)
            #expect(result.error.contains("a take is from 1 to 9007199254740991"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/store"))
        }
    }

    @Test func aCommandThatEchoesTheTokenNeverLeaksIt() throws {
        try withTemporaryDirectory { dir in
            let token = "r8_LEAKCHECK_7d2e41b9"
            let script = dir + "/leak.sh"
            try writeFile(
                script, Array("#!/bin/sh\necho \"Authorization: Bearer $REPLICATE_API_TOKEN\" >&2\nexit 1\n".utf8))
            chmod(script, 0o755)
            let plan = try writePlan(
                in: dir, backend: "command", model: "leaky", options: #"{"command": ["\#(script)"], "retries": 0}"#)
            let result = try runFramechain(
                ["run", plan, "--store", dir + "/store", "--out", dir + "/out", "--json"], scratch: dir,
                environment: ["REPLICATE_API_TOKEN": token])
            #expect(result.status == 1)
            #expect(result.outputText.contains("Authorization: Bearer <redacted>"))
            var leaks: [String] = []
            for root in [dir + "/store", dir + "/out"] {
                let walker = FileManager.default.enumerator(atPath: root)
                while let relative = walker?.nextObject() as? String {
                    let bytes = (try? readFile(root + "/" + relative)) ?? []
                    if String(decoding: bytes, as: UTF8.self).contains(token) { leaks.append(relative) }
                }
            }
            #expect(leaks.isEmpty, "\(leaks)")
            #expect(!result.outputText.contains(token) && !result.error.contains(token))
        }
    }
}
