import Foundation
import FrameChainTestKit
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Disk and permission faults (issue 10, item 4): a full disk, a read-only store, another user's store. Each is
/// one clear error with its exit status (1: the store could not be written), and the store is left valid.
///
/// A full disk is simulated with `ulimit -f` (writes past the limit fail with `EFBIG`, SIGXFSZ ignored), which
/// needs no privileges. Permissions do not stop root, and the tests run as root in CI: there the faulty user is
/// `nobody`, through `setpriv`.
@Suite(.serialized) struct StoreFaultTests {
    /// Runs framechain under `bash -c 'ulimit -f KB; trap "" XFSZ; exec framechain …'`.
    static func withFileSizeLimit(kilobytes: Int, _ arguments: [String], in directory: String) throws -> ProcessResult {
        let command = "ulimit -f \(kilobytes); trap '' XFSZ; exec \"$0\" \"$@\""
        return try runProcess("/bin/bash", ["-c", command, try framechainBinary()] + arguments, in: directory)
    }

    /// Runs framechain as `nobody` (when root) or as this user (who is then not root, so permission bits apply).
    static func asOtherUser(_ arguments: [String], in directory: String) throws -> ProcessResult? {
        guard isRunningAsRoot else { return try runProcess(try framechainBinary(), arguments, in: directory) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("setpriv (util-linux) is missing") }
            return nil
        }
        return try runProcess(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", try framechainBinary()] + arguments, in: directory)
    }

    static func runProcess(_ executable: String, _ arguments: [String], in directory: String) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            output: [UInt8](out), error: String(decoding: err, as: UTF8.self))
    }

    /// A store with one blob, checkpointed (so its write-ahead log starts empty), in a directory others may enter.
    static func preparedStore(in directory: String) throws -> String {
        chmod(directory, 0o755)
        let store = directory + "/store"
        try writeFile(directory + "/small", Array("hello".utf8))
        #expect(
            try runFramechain(["blob", "put", "--store", store, directory + "/small"], scratch: directory).status == 0)
        #expect(try runFramechain(["store", "checkpoint", "--store", store], scratch: directory).status == 0)
        return store
    }

    static func expectValid(_ store: String, in directory: String) throws {
        let verify = try runFramechain(["verify", "--store", store], scratch: directory)
        #expect(verify.status == 0, "verify: \(verify.outputText)")
        #expect(try auditStore(store).problems == [])
        #expect(directoryListing(store + "/tmp") == [], "staging files were left behind")
    }

    @Test func aFullDiskDuringBlobPutKeepsNothing() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Self.preparedStore(in: directory)
            try writeFile(directory + "/big", randomBytes(count: 3_000_000, seed: 7))
            let before = try snapshot(of: store)

            let result = try Self.withFileSizeLimit(
                kilobytes: 1000, ["blob", "put", "--store", store, "big"], in: directory)
            #expect(result.status == 1)
            #expect(result.error.hasPrefix("Error: \(store)/tmp/put-"))
            #expect(
                result.error.hasSuffix(
                    ": write: File too large (the disk is full or a size limit - quota, ulimit -f - is reached; "
                        + "nothing partial was kept)\n"))
            #expect(try snapshot(of: store) == before)
            try Self.expectValid(store, in: directory)
        }
    }

    @Test func aFullDiskDuringARunLeavesAValidStoreAndTheRerunFinishes() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Self.preparedStore(in: directory)
            try writeFile(directory + "/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
            let scenes = (1...4).map {
                #"{"reference": "harbour \#($0)", "start": "leaves \#($0)", "end": "away \#($0)"}"#
            }
            let plan = """
                {"format": "framechain.plan/v1", "name": "full", "initial_reference": "bottle.png",
                 "generator": {"backend": "procedural", "model": "procedural-v1", "params": {"width": 256, "height": 256}},
                 "scenes": [\(scenes.joined(separator: ","))]}
                """
            try writeFile(directory + "/plan.json", Array(plan.utf8))

            // The write-ahead log cannot grow past 150 kB: a commit fails part-way through the run.
            let full = try Self.withFileSizeLimit(
                kilobytes: 150, ["run", "--store", store, "plan.json"], in: directory)
            #expect(full.status == 1)
            #expect(
                full.error.contains(
                    "disk I/O error (the disk may be full or a size limit - quota, ulimit -f - reached; the transaction "
                        + "was rolled back)"), "\(full.error)")
            // Published blobs whose rows could not be committed were taken back out: no unrecorded files.
            try Self.expectValid(store, in: directory)

            let rerun = try runFramechain(["run", "--store", store, directory + "/plan.json"], scratch: directory)
            #expect(rerun.status == 0, "\(rerun.error)")
            try Self.expectValid(store, in: directory)
        }
    }

    @Test func aReadOnlyStoreServesReadsAndRefusesWritesClearly() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Self.preparedStore(in: directory)
            // Readable by everyone, writable by its owner only (root, in CI), or by no one when not root.
            for path in [store] + (FileManager.default.subpaths(atPath: store) ?? []).map({ store + "/" + $0 }) {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                chmod(path, isDirectory.boolValue ? 0o555 : 0o444)
            }
            defer { _ = try? Self.runProcess("/bin/chmod", ["-R", "u+w", store], in: directory) }
            let before = try AuditWorkspace.fileHashes(store)

            guard let verify = try Self.asOtherUser(["verify", "--store", store], in: directory) else { return }
            #expect(verify.status == 0, "\(verify.error)")
            try writeFile(directory + "/other", Array("other".utf8))
            let put = try #require(try Self.asOtherUser(["blob", "put", "--store", store, "other"], in: directory))
            #expect(put.status == 1)
            #expect(put.error.hasPrefix("Error: \(store)/"))
            #expect(
                put.error.contains(
                    ": Permission denied (the store is read-only or belongs to another user (this is uid \(isRunningAsRoot ? 65534 : geteuid()))"
                ),
                "\(put.error)")
            #expect(try AuditWorkspace.fileHashes(store) == before)
        }
    }

    @Test func anotherUsersPrivateStoreIsRefusedNamingTheOwner() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Self.preparedStore(in: directory)
            #expect(chmod(store, isRunningAsRoot ? 0o700 : 0o000) == 0)
            defer { chmod(store, 0o700) }
            let before = isRunningAsRoot ? try AuditWorkspace.fileHashes(store) : [:]

            guard let result = try Self.asOtherUser(["runs", "--store", store], in: directory) else { return }
            #expect(result.status == 1)
            #expect(
                result.error
                    == "Error: \(store): the store belongs to uid \(getuid()) (mode \(isRunningAsRoot ? 700 : 0)) and this "
                    + "user (uid \(isRunningAsRoot ? 65534 : geteuid())) may not read it; use your own store "
                    + "(--store DIR) or run as its owner\n")
            chmod(store, 0o700)
            if isRunningAsRoot { #expect(try AuditWorkspace.fileHashes(store) == before) }
            try Self.expectValid(store, in: directory)
        }
    }
}
