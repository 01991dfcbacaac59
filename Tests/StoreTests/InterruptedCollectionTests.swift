import FrameChainTestKit
import Foundation
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A gc killed inside its transaction (found by scripts/soak.sh): the rows' deletion rolls back, so the files it
/// parked in tmp/gc-<pid>-<hex> must go back; killed after its commit, the parked files are garbage.
@Suite struct InterruptedCollectionTests {
    /// The id of a process that has exited (so no live process has it, barring reuse within the test).
    private func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 0"]
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func openingAStorePutsBackTheFilesOfAGCThatDiedBeforeItsCommit() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/store"
            let digest = try Store(directory: root).put(bytes: Array("kept by a rollback".utf8)).digest
            let blobPath = BlobStore(root: root).path(for: digest)
            let parked = "\(root)/tmp/gc-\(try deadProcessID())-\(digest.hexString)"
            // What a gc killed between its rename and its commit leaves: the row (rolled back) and the file aside.
            try FileSystem.rename(blobPath, to: parked)

            let store = try Store(directory: root)
            #expect(FileSystem.exists(blobPath))
            #expect(!FileSystem.exists(parked))
            #expect(try store.contents(of: digest) == Array("kept by a rollback".utf8))
            #expect(try store.verify(workers: 1).ok)
        }
    }

    @Test func openingAStoreDeletesTheFilesOfAGCThatDiedAfterItsCommit() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/store"
            let store = try Store(directory: root)
            let digest = try store.put(bytes: Array("collected".utf8)).digest
            let parked = "\(root)/tmp/gc-\(try deadProcessID())-\(digest.hexString)"
            try FileSystem.rename(BlobStore(root: root).path(for: digest), to: parked)
            try store.write { db in try db.execute("DELETE FROM blobs WHERE digest = ?", digest) }

            let reopened = try Store(directory: root)
            #expect(!FileSystem.exists(parked))
            #expect(!FileSystem.exists(BlobStore(root: root).path(for: digest)))
            #expect(try reopened.verify(workers: 1).ok)
        }
    }

    @Test func aLiveGCsParkedFilesAreLeftAlone() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/store"
            let digest = try Store(directory: root).put(bytes: Array("in flight".utf8)).digest
            // pid 1 is always alive: a gc still running elsewhere owns its parked files.
            let parked = "\(root)/tmp/gc-1-\(digest.hexString)"
            try FileSystem.rename(BlobStore(root: root).path(for: digest), to: parked)
            _ = try Store(directory: root)
            #expect(FileSystem.exists(parked))
        }
    }
}
