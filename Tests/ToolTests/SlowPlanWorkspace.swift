import Foundation
import FrameChainTestKit

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether python3 (the slow command generator's interpreter) is there, or the tests must run anyway (in CI a
/// missing tool is a failure, never a skip).
let slowGeneratorAvailable = TestSupport.python3 != nil || ProcessInfo.processInfo.environment["CI"] == "true"

/// A store and plans of the example storyboard on the slow command backend (scripts/slow-plan.py and
/// scripts/slow-generator.py): every paid call appends a line to `calls`, so a test counts them.
struct SlowPlanWorkspace {
    let root: String
    var store: String { root + "/store" }
    var callLog: String { root + "/calls" }

    init(root: String) { self.root = root }

    /// Writes a plan (the example storyboard; `suffix` changes every prompt, `name` the plan's name).
    func writePlan(_ file: String, name: String? = nil, suffix: String? = nil) throws -> String {
        let path = root + "/" + file
        var arguments = [TestSupport.repositoryRoot.path + "/scripts/slow-plan.py", path]
        if let name { arguments.append(name) }
        if let suffix { arguments.append(suffix) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.python3 ?? "/usr/bin/python3")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw WorkspaceError("slow-plan.py failed for \(path)") }
        return path
    }

    /// The environment for a framechain whose generator sleeps `milliseconds` per call.
    func environment(milliseconds: Int) -> [String: String] {
        ["FRAMECHAIN_CALL_LOG": callLog, "FRAMECHAIN_SLOW_MS": String(milliseconds)]
    }

    /// Starts `framechain ARGUMENTS --store STORE`.
    func launch(_ arguments: [String], milliseconds: Int = 200) throws -> LaunchedProcess {
        try launchFramechain(
            arguments + ["--store", store], scratch: root, environment: environment(milliseconds: milliseconds))
    }

    /// Runs `framechain ARGUMENTS --store STORE` to completion.
    func run(_ arguments: [String], milliseconds: Int = 200) throws -> ProcessResult {
        try launch(arguments, milliseconds: milliseconds).finish()
    }

    /// The generator calls made so far (lines of the call log).
    func calls() -> [String] {
        guard let bytes = try? readFile(callLog) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Waits (up to a minute) until `condition` holds, polling every 20 ms.
    func waitUntil(_ condition: () throws -> Bool) throws {
        for _ in 0..<3000 {
            if try condition() { return }
            usleep(20_000)
        }
        throw WorkspaceError("condition not reached within a minute")
    }

    /// `framechain verify` on the store: exit status and output.
    func verify() throws -> ProcessResult { try run(["verify"]) }

    /// The number of rows of `table`.
    func count(_ table: String) throws -> Int {
        let db = try Database(path: store + "/framechain.sqlite", create: false)
        return try db.row("SELECT count(*) FROM \(table)")?.int(0) ?? 0
    }
}

struct WorkspaceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
