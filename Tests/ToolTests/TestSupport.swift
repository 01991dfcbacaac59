import Formats
import Foundation
import FrameChainTestKit
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Temporary files





/// Creates `count` files of `size` distinct random bytes in `directory`; returns their paths and digests.
func makeFiles(
    in directory: String, count: Int, size: Int, seed: UInt64 = 0
) throws -> [(path: String, digest: Digest)] {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return try (0..<count).map { index in
        let bytes = randomBytes(count: size, seed: seed &+ UInt64(index) &+ 1)
        let path = "\(directory)/file-\(index)"
        try writeFile(path, bytes)
        return (path, SHA256.hash(data: bytes))
    }
}


/// Whether the tests run as root, for whom permission bits do not stop reads.
var isRunningAsRoot: Bool { geteuid() == 0 }

/// A file whose open or read fails for the current user, with the message framechain gives; `nil` where none
/// can be made.
///
/// Without root, a mode-000 file cannot be opened. Root bypasses permission bits, so there we use
/// `/proc/self/mem` (Linux): offset 0 is unmapped in every process, so its `read` fails with `EIO`.
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
        return nil  // Root without /proc: nothing is unreadable to root, so this case cannot be made.
    #endif
}

// MARK: - Running framechain

/// What a finished `framechain` process left.
struct ProcessResult {
    /// The exit status, or the signal number if `signaled`.
    let status: Int32
    /// Whether a signal ended the process.
    let signaled: Bool
    /// Everything written to standard output.
    let output: [UInt8]
    /// Everything written to standard error.
    let error: String

    /// Standard output as text.
    var outputText: String { String(decoding: output, as: UTF8.self) }
}

/// The `framechain` executable under test: `$FRAMECHAIN_BINARY`, else the one built next to the test bundle.
func framechainBinary() throws -> String {
    if let path = ProcessInfo.processInfo.environment["FRAMECHAIN_BINARY"], !path.isEmpty { return path }
    #if os(Linux)
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    #else
        let testExecutable =
            Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
            ?? URL(fileURLWithPath: CommandLine.arguments[0])
    #endif
    // `.build/<config>/<package>PackageTests.xctest` on Linux; a bundle directory on macOS.
    var directory = testExecutable.deletingLastPathComponent()
    var looked: [String] = []
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("framechain").path
        looked.append(candidate)
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw BinaryNotFound(looked: looked)
}

/// The `framechain` executable was not built.
struct BinaryNotFound: Error, CustomStringConvertible {
    let looked: [String]
    var description: String {
        "the framechain executable is not built (looked at \(looked.joined(separator: ", "))): "
            + "run `swift build` before `swift test`, or set FRAMECHAIN_BINARY"
    }
}

/// A started `framechain` process and the files its output goes to.
struct LaunchedProcess {
    let process: Process
    let outputPath: String
    let errorPath: String

    /// Waits for the process and collects what it wrote.
    func finish() throws -> ProcessResult {
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        return ProcessResult(
            status: process.terminationStatus,
            signaled: process.terminationReason == .uncaughtSignal,
            output: try readFile(outputPath),
            error: String(decoding: try readFile(errorPath), as: UTF8.self))
    }
}

/// Starts `framechain` with `arguments`, its output going to files in `scratch`.
///
/// `FRAMECHAIN_STORE` is removed from the environment unless `environment` sets it.
func launchFramechain(
    _ arguments: [String], scratch: String, workingDirectory: String? = nil, environment: [String: String] = [:]
) throws -> LaunchedProcess {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try framechainBinary())
    process.arguments = arguments
    var inherited = ProcessInfo.processInfo.environment
    inherited["FRAMECHAIN_STORE"] = nil
    process.environment = inherited.merging(environment) { $1 }
    if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
    let name = UUID().uuidString
    let launched = LaunchedProcess(
        process: process, outputPath: "\(scratch)/\(name).out", errorPath: "\(scratch)/\(name).err")
    _ = FileManager.default.createFile(atPath: launched.outputPath, contents: nil)
    _ = FileManager.default.createFile(atPath: launched.errorPath, contents: nil)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: launched.outputPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: launched.errorPath))
    try process.run()
    return launched
}

/// Runs `framechain` with `arguments` to completion.
func runFramechain(
    _ arguments: [String], scratch: String, workingDirectory: String? = nil, environment: [String: String] = [:]
) throws -> ProcessResult {
    try launchFramechain(
        arguments, scratch: scratch, workingDirectory: workingDirectory, environment: environment
    ).finish()
}

// MARK: - Inspecting a store

/// Everything observable in a store: each file's hash (except the database's own files, which opening may
/// touch) and every table's rows.
struct StoreSnapshot: Equatable {
    var files: [String: String] = [:]
    var tables: [String: [Row]] = [:]
}

/// Takes a snapshot of the store at `root` (empty if there is none).
func snapshot(of root: String) throws -> StoreSnapshot {
    var result = StoreSnapshot()
    guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
    while let relative = walker.nextObject() as? String {
        if relative.hasPrefix("framechain.sqlite") { continue }
        let path = "\(root)/\(relative)"
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        result.files[relative] =
            isDirectory.boolValue ? "directory" : try FileHasher.hash(fileAt: path).digest.description
    }
    let databasePath = root + "/framechain.sqlite"
    if FileManager.default.fileExists(atPath: databasePath) {
        let db = try Database(path: databasePath, create: false)
        let tables = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap {
            $0.string(0)
        }
        for table in tables { result.tables[table] = try db.rows("SELECT * FROM \"\(table)\" ORDER BY rowid") }
    }
    return result
}

/// Checks a store's blob invariants; returns one line per problem (empty when sound).
///
/// Every file under `blobs/sha256` must sit in the right two-hex directory and hash to its name, and every
/// `blobs` row must have its file, of the recorded size.
func auditStore(_ root: String) throws -> (problems: [String], files: Set<Digest>, rows: Set<Digest>) {
    var problems: [String] = []
    var files: Set<Digest> = []
    let shards = root + "/blobs/sha256"
    for prefix in directoryListing(shards) {
        if prefix.count != 2 { problems.append("unexpected entry blobs/sha256/\(prefix)") }
        for name in directoryListing("\(shards)/\(prefix)") {
            let path = "\(shards)/\(prefix)/\(name)"
            guard let digest = Digest(hexString: name), name.hasPrefix(prefix) else {
                problems.append("unexpected file \(path)")
                continue
            }
            let actual = try FileHasher.hash(fileAt: path).digest
            if actual != digest { problems.append("\(path) hashes to \(actual)") }
            files.insert(digest)
        }
    }
    var rows: Set<Digest> = []
    let db = try Database(path: root + "/framechain.sqlite", create: false)
    for row in try db.rows("SELECT digest, size FROM blobs") {
        guard let digest = row.digest(0) else {
            problems.append("malformed digest row \(row)")
            continue
        }
        rows.insert(digest)
        let path = "\(shards)/\(digest.hexString.prefix(2))/\(digest.hexString)"
        var info = stat()
        if stat(path, &info) != 0 {
            problems.append("row \(digest) has no file")
        } else if Int(info.st_size) != row.int(1) {
            problems.append("row \(digest) records size \(row.int(1) ?? -1), file has \(info.st_size)")
        }
    }
    return (problems, files, rows)
}
