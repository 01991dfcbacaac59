import Foundation
import FrameChainTestKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A finished process and its peak memory.
struct MeasuredRun {
    /// The exit status (or 128 + the signal).
    let status: Int32
    /// The process's peak resident set size in bytes, from `wait4`'s `ru_maxrss` (the kernel's own figure for that
    /// one child, like `/proc/PID/status` VmHWM at its end).
    let peakResidentBytes: Int
    /// What it wrote to standard output and standard error.
    let output: [UInt8]
    let error: String
}

/// Runs `framechain arguments…` with `posix_spawn` and reaps it with `wait4`, to read its peak RSS.
func runFramechainMeasuringMemory(
    _ arguments: [String], scratch: String, environment: [String: String] = [:]
) throws -> MeasuredRun {
    let binary = try framechainBinary()
    let outputPath = scratch + "/measured-\(UUID().uuidString).out"
    let errorPath = scratch + "/measured-\(UUID().uuidString).err"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var inherited = ProcessInfo.processInfo.environment
    inherited["FRAMECHAIN_STORE"] = nil
    let merged = inherited.merging(environment) { $1 }
    let argv = ([binary] + arguments).map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, binary, &actions, nil, argv, envp)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) == -1 {
        guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
    let exited = (status & 0x7F) == 0
    defer {
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }
    #if os(Linux)
        let peak = Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    #else
        let peak = Int(usage.ru_maxrss)  // bytes on macOS
    #endif
    return MeasuredRun(
        status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), peakResidentBytes: peak,
        output: try readFile(outputPath), error: String(decoding: try readFile(errorPath), as: UTF8.self))
}
