import Foundation
import FrameChainTestKit
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `gc` killed at any point leaves no orphan row and no orphan file: it moves each file aside to
/// `tmp/gc-<pid>-<hex>` under its write lock and deletes it after the commit, and the next opening of the store
/// settles what a dead gc left. The two states a kill can leave are built here exactly, with the pid of a process
/// that has exited.
@Suite struct InterruptedCollectionTests {
    /// The pid of a process that has already exited.
    static func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func killedBeforeItsCommitTheFileGoesBackToItsRow() throws {
        try withTemporaryDirectory { (directory) throws in
            let root = directory + "/store"
            let store = try Store(directory: root)
            let kept = try store.put(bytes: Array("kept".utf8)).digest
            let collected = try store.put(bytes: Array("collected".utf8)).digest
            // The rows were not deleted yet (no commit), the file had been moved aside.
            let aside = store.collectionPath(for: collected, pid: try Self.deadProcessID())
            try FileSystem.rename(store.path(of: collected), to: aside)

            let reopened = try Store(directory: root)
            #expect(FileSystem.exists(reopened.path(of: collected)))
            #expect(!FileSystem.exists(aside))
            #expect(try reopened.contents(of: collected) == Array("collected".utf8))
            #expect(try reopened.contains(kept))
            #expect(try reopened.verify().ok)
        }
    }

    @Test func killedAfterItsCommitTheFileIsDeleted() throws {
        try withTemporaryDirectory { (directory) throws in
            let root = directory + "/store"
            let store = try Store(directory: root)
            let collected = try store.put(bytes: Array("collected".utf8)).digest
            let aside = store.collectionPath(for: collected, pid: try Self.deadProcessID())
            try FileSystem.rename(store.path(of: collected), to: aside)
            try store.write { db in try db.execute("DELETE FROM blobs WHERE digest = ?", collected) }

            let reopened = try Store(directory: root)
            #expect(!FileSystem.exists(aside))
            #expect(!FileSystem.exists(reopened.path(of: collected)))
            let report = try reopened.verify()
            #expect(report.ok, "\(report.problems)")
            #expect(directoryListing(root + "/tmp") == [])
        }
    }

    @Test func aLiveCollectorsFilesAreLeftAlone() throws {
        try withTemporaryDirectory { (directory) throws in
            let root = directory + "/store"
            let store = try Store(directory: root)
            let collected = try store.put(bytes: Array("collected".utf8)).digest
            // This test process stands for a gc still running: its files are its own to finish.
            let aside = store.collectionPath(for: collected)
            try FileSystem.rename(store.path(of: collected), to: aside)
            _ = try Store(directory: root)
            #expect(FileSystem.exists(aside))
            store.recoverInterruptedCollection(includingOwn: true)
            #expect(FileSystem.exists(store.path(of: collected)))
        }
    }

    @Test func aCompletedCollectionLeavesNothingAside() throws {
        try withTemporaryDirectory { (directory) throws in
            let root = directory + "/store"
            let store = try Store(directory: root)
            let collected = try store.put(bytes: Array("collected".utf8)).digest
            let report = try store.collectGarbage(CollectionPolicy(graceSeconds: 0))
            #expect(report.blobs.map(\.digest) == [collected])
            #expect(!FileSystem.exists(store.path(of: collected)))
            #expect(directoryListing(root + "/tmp") == [])
            #expect(try store.verify().ok)
        }
    }
}
