import Formats
import FrameChainTestKit
import Foundation
import Store
import Testing

@testable import Backends
@testable import Chain

@Suite struct CommandGeneratorTests {
    typealias F = BackendFixtures

    let generator = CommandGenerator()

    /// Runs `body` with a fresh temporary directory, removed afterwards.
    func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("framechain-command-tests-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    /// Writes an executable script.
    func script(_ directory: String, _ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    func job(_ argv: [String], inputs: [GeneratorInput] = [], timeout: Double? = nil) -> GenerationJob {
        var options: [String: JSONValue] = ["command": .array(argv.map { .string($0) })]
        if let timeout { options["timeout_s"] = .number(timeout) }
        return F.job(
            backend: "command", model: "my-sdxl-wrapper", params: ["steps": .number(20)], inputs: inputs,
            options: options)
    }

    /// Whether process `pid` has exited (a zombie counts as gone), waiting up to ten seconds for it.
    func isGone(_ pid: Int32) async throws -> Bool {
        for _ in 0..<200 {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if kill(pid, 0) != 0 || stat.contains(") Z ") { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func theProgramGetsTheRequestAndItsInputsAndItsImageIsReturned() async throws {
        let first = F.input(F.png(seed: 4))
        let second = F.input(F.png(seed: 5))
        try await withTemporaryDirectory { directory in
            let program = try script(
                directory, "gen.py",
                """
                #!/usr/bin/env python3
                import hashlib, json, sys
                request = json.load(sys.stdin)
                request["input_digests"] = ["sha256:" + hashlib.sha256(open(p, "rb").read()).hexdigest()
                                            for p in request["input_files"]]
                json.dump(request, open(sys.argv[1], "w"))
                sys.stdout.buffer.write(open(request["input_files"][-1], "rb").read())
                """)
            let seen = directory + "/seen.json"
            let output = try await generator.generate(job([program, seen], inputs: [first, second]))
            #expect(output.bytes == second.bytes)
            #expect(output.mediaType == .png)

            let request = try #require(ProviderJSON(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: seen)))))
            #expect(request["format"]?.string == "framechain.request/v1")
            #expect(request["generator"]?["model"]?.string == "my-sdxl-wrapper")
            #expect(request["prompt"]?.string == "a faceted glass perfume bottle, keep it identical")
            #expect(request["params"]?["steps"]?.value == .number(20))
            #expect(request["node"]?.string == "start/2")
            let digests = [first.digest.description, second.digest.description]
            #expect(request["inputs"]?.array?.compactMap(\.string) == digests)
            #expect(request["input_digests"]?.array?.compactMap(\.string) == digests)
            let files = (request["input_files"]?.array ?? []).compactMap { $0.string }
            #expect(files.count == 2)
            #expect(files.allSatisfy { $0.hasPrefix("/") })
            #expect(files.map { ($0 as NSString).lastPathComponent } == ["input-1.png", "input-2.png"])
            #expect(
                files.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "the private directory is removed")
        }
    }

    @Test func aNonZeroExitCarriesTheTailOfStderr() async throws {
        let program = [
            "/bin/sh", "-c", "printf '%010000d' 0 | tr 0 x >&2; echo >&2; echo 'CUDA out of memory' >&2; exit 3",
        ]
        let error = try #require(await F.generatorError { try await generator.generate(job(program)) })
        #expect(!error.isTransient)
        #expect(error.message.hasPrefix("/bin/sh exited with status 3; stderr: xxx"))
        #expect(error.message.hasSuffix("xxx\nCUDA out of memory"))
        #expect(error.message.count < 2100)
    }

    @Test func exitStatus75AsksForARetry() async throws {
        let error = try #require(
            await F.generatorError {
                try await generator.generate(job(["/bin/sh", "-c", "echo 'GPU busy' >&2; exit 75"]))
            })
        #expect(error.isTransient)
        #expect(error.message == "/bin/sh exited with status 75; stderr: GPU busy")
    }

    @Test func garbageAndEmptyOutputAreFailures() async throws {
        let garbage = try #require(
            await F.generatorError {
                try await generator.generate(job(["/bin/sh", "-c", "echo 'not an image at all'"]))
            })
        #expect(
            garbage.message
                == "/bin/sh wrote 20 bytes to stdout that are not a PNG, JPEG or WebP image (stderr was empty)")
        let empty = try #require(
            await F.generatorError {
                try await generator.generate(job(["/bin/sh", "-c", "echo 'thinking…' >&2"]))
            })
        #expect(empty.message == "/bin/sh wrote nothing to stdout; stderr: thinking…")
    }

    @Test func aChattyProgramDoesNotDeadlock() async throws {
        let png = F.png(seed: 7)
        try await withTemporaryDirectory { directory in
            let image = directory + "/out.png"
            try Data(png).write(to: URL(fileURLWithPath: image))
            let program = ["/bin/sh", "-c", "head -c 3000000 /dev/zero >&2; cat \"$0\"", image]
            let output = try await generator.generate(job(program))
            #expect(output.bytes == png)
        }
    }

    @Test func aHangingProgramIsKilledAtTheTimeout() async throws {
        try await withTemporaryDirectory { directory in
            let program = try script(
                directory, "hang.sh",
                """
                #!/bin/sh
                echo "loading weights" >&2
                sleep 300 &
                echo $! > "$1/child.pid"
                echo $$ > "$1/main.pid"
                wait
                """)
            let error = try #require(
                await F.generatorError {
                    try await generator.generate(job([program, directory], timeout: 1))
                })
            #expect(error.message == "\(program) timed out after 1 s and was killed; stderr: loading weights")
            for name in ["main.pid", "child.pid"] {
                let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
                let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
                #expect(try await isGone(pid), "\(name) \(pid) still runs")
            }
        }
    }

    @Test func aProgramIgnoringSIGTERMIsKilledAnyway() async throws {
        try await withTemporaryDirectory { directory in
            let program = try script(
                directory, "stubborn.sh",
                """
                #!/bin/sh
                trap '' TERM
                echo $$ > "$1/main.pid"
                while true; do sleep 1; done
                """)
            let error = try #require(
                await F.generatorError {
                    try await generator.generate(job([program, directory], timeout: 1))
                })
            #expect(error.message.hasPrefix("\(program) timed out after 1 s and was killed"))
            let text = try String(contentsOfFile: directory + "/main.pid", encoding: .utf8)
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(try await isGone(pid))
        }
    }

    @Test func cancellationKillsTheProgram() async throws {
        try await withTemporaryDirectory { directory in
            let program = try script(
                directory, "hang.sh",
                """
                #!/bin/sh
                echo $$ > "$1/main.tmp" && mv "$1/main.tmp" "$1/main.pid"
                sleep 300
                """)
            let generator = self.generator
            let job = job([program, directory])
            let task = Task { try await generator.generate(job) }
            while !FileManager.default.fileExists(atPath: directory + "/main.pid") {
                try await Task.sleep(for: .milliseconds(20))
            }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            let text = try String(contentsOfFile: directory + "/main.pid", encoding: .utf8)
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(try await isGone(pid))
        }
    }

    @Test func aMissingProgramOrCommandIsReported() async throws {
        let missing = try #require(
            await F.generatorError {
                try await generator.generate(job(["framechain-no-such-program-xyz"]))
            })
        #expect(missing.message.hasPrefix("cannot run framechain-no-such-program-xyz: "))
        let noCommand = try #require(
            await F.generatorError {
                try await generator.generate(F.job(backend: "command", model: "x"))
            })
        #expect(
            noCommand.message == "the command backend needs options.command, the program's argv as an array of strings")
    }
}
