import Foundation
import FrameChainTestKit
import Testing

/// The crash soak in its reduced form (issue 10, item 2): scripts/soak.sh with 5 SIGKILLs of `run` and 3 of
/// `gc`, against the framechain under test. The full form (20 and 10 kills) is `scripts/soak.sh`.
@Suite(.enabled(if: soakToolsAvailable)) struct CrashSoakTests {
    @Test func fiveKillsOfARunAndThreeOfGCLoseNothingAndCorruptNothing() throws {
        try withTemporaryDirectory { root in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [TestSupport.repositoryRoot.path + "/scripts/soak.sh", "5", "3"]
            var environment = ProcessInfo.processInfo.environment
            environment["FRAMECHAIN"] = try framechainBinary()
            process.environment = environment
            let output = root + "/soak.out"
            let errors = root + "/soak.err"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
            try process.run()
            process.waitUntilExit()
            let summary = String(decoding: try readFile(output), as: UTF8.self)
            let problems = String(decoding: try readFile(errors), as: UTF8.self)
                .split(separator: "\n").filter { !$0.contains(" Killed ") }.joined(separator: "\n")
            #expect(process.terminationStatus == 0, "\(summary)\n\(problems)")
            #expect(summary.contains("soak: 5/5 resumed, 0 corrupt, 0 lost"), "\(summary)")
            #expect(summary.contains("gc: 3/3 killed, 0 orphan rows, 0 orphan blobs"), "\(summary)")
        }
    }
}

/// python3, sqlite3 and sha256sum, or CI (where a missing tool is a failure, never a skip).
let soakToolsAvailable: Bool = {
    if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return ["python3", "sqlite3", "sha256sum"].allSatisfy { tool in
        path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }
}()
