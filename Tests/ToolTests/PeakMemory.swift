import Foundation
import Testing
import FrameChainTestKit

/// A finished process and its peak memory.
struct MeasuredRun {
    /// The exit status.
    let status: Int32
    /// The process's peak resident set size in bytes, as GNU time reports it (`%M`, the child's `ru_maxrss`).
    let peakResidentBytes: Int
    /// What it wrote to standard output and standard error.
    let output: [UInt8]
    let error: String
}

/// Runs `framechain arguments…` under GNU time (`/usr/bin/time -f %M`) to read its peak RSS.
///
/// The measuring process must be small: Linux carries a process's `ru_maxrss` over `execve`, so a child spawned
/// straight from the (large) test process would report the test process's own size. GNU time forks its child
/// from a process of a few MB, so `%M` is framechain's own peak.
func runFramechainMeasuringMemory(
    _ arguments: [String], scratch: String, environment: [String: String] = [:]
) throws -> MeasuredRun {
    let time = try #require(ExternalTools.path(of: "time"), "GNU time is not installed (.ci/run installs it)")
    let name = UUID().uuidString
    let outputPath = scratch + "/measured-\(name).out"
    let errorPath = scratch + "/measured-\(name).err"
    let memoryPath = scratch + "/measured-\(name).rss"
    defer {
        for path in [outputPath, errorPath, memoryPath] { try? FileManager.default.removeItem(atPath: path) }
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: time)
    process.arguments = ["-f", "%M", "-o", memoryPath, try framechainBinary()] + arguments
    var inherited = ProcessInfo.processInfo.environment
    inherited["FRAMECHAIN_STORE"] = nil
    process.environment = inherited.merging(environment) { $1 }
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    try process.run()
    process.waitUntilExit()
    // GNU time writes "Command exited with non-zero status N" before the figure when the command failed.
    let report = String(decoding: try readFile(memoryPath), as: UTF8.self)
    let kilobytes = try #require(
        report.split(whereSeparator: \.isNewline).last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) },
        "GNU time wrote no figure: \(report)")
    return MeasuredRun(
        status: process.terminationStatus, peakResidentBytes: kilobytes * 1024, output: try readFile(outputPath),
        error: String(decoding: try readFile(errorPath), as: UTF8.self))
}
