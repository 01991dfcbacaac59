import Foundation
import FrameChainTestKit
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif





/// Flips every bit of the byte at `offset` in the file at `path`.
func flipByte(in path: String, at offset: Int) throws {
    var bytes = try readFile(path)
    bytes[offset] ^= 0xFF
    try writeFile(path, bytes)
}

/// The `stat` of a path.
func fileStatus(_ path: String) throws -> stat {
    var info = stat()
    guard stat(path, &info) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    return info
}


/// Whether the tests run as root, for whom permission bits do not stop reads.
var isRunningAsRoot: Bool { geteuid() == 0 }

/// A PNG signature followed by `tail`, enough for media-type sniffing.
func pngBytes(_ tail: String = "") -> [UInt8] {
    [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(tail.utf8)
}

/// A file whose open succeeds but whose read fails for anyone, root included, with the expected message; or
/// `nil` where there is none.
///
/// Without root, a mode-000 file cannot be opened. Root bypasses permission bits, so there we read
/// `/proc/self/mem` (Linux): its offset 0 is unmapped in every process, so `read` fails with `EIO`.
func unreadableFile(in directory: String) throws -> (path: String, message: String)? {
    if !isRunningAsRoot {
        let path = directory + "/unreadable"
        try writeFile(path, Array("secret".utf8))
        chmod(path, 0)
        return (path, "\(path): cannot open: Permission denied")
    }
    #if os(Linux)
        return ("/proc/self/mem", "/proc/self/mem: read: Input/output error")
    #else
        return nil  // Root on a system without /proc: no file is unreadable to root, so the case cannot be made.
    #endif
}
