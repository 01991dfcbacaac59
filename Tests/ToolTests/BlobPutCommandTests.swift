import FrameChainTestKit
import Foundation
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct BlobPutCommandTests {
    @Test func storesEveryFileAndPrintsItsDigest() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let files = try makeFiles(in: directory + "/in", count: 20, size: 5000)
            let result = try runFramechain(["blob", "put", "--store", store] + files.map(\.path), scratch: directory)
            #expect(result.status == 0)
            #expect(result.error == "")
            #expect(result.outputText == files.map { "\($0.digest)  \($0.path)\n" }.joined())
            let audit = try auditStore(store)
            #expect(audit.problems == [])
            #expect(audit.rows == Set(files.map(\.digest)))
            #expect(audit.files == audit.rows)
            #expect(directoryListing(store + "/tmp").isEmpty)
        }
    }

    @Test func puttingAgainChangesNothing() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let files = try makeFiles(in: directory + "/in", count: 3, size: 100)
            let arguments = ["blob", "put", "--store", store] + files.map(\.path)
            #expect(try runFramechain(arguments, scratch: directory).status == 0)
            let before = try snapshot(of: store)
            let again = try runFramechain(arguments + [files[0].path], scratch: directory)
            #expect(again.status == 0)
            #expect(try snapshot(of: store) == before)
        }
    }

    enum BadInput: String, CaseIterable {
        case missing, directory, unreadable, missingAfterAGoodFile
    }

    @Test(arguments: BadInput.allCases)
    func badInputIsRejectedAndChangesNothing(_ input: BadInput) throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            try writeFile(directory + "/seed", Array("already stored".utf8))
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/seed"], scratch: directory).status
                    == 0)
            try writeFile(directory + "/good", Array("good".utf8))
            let paths: [String]
            let message: String
            switch input {
            case .missing:
                paths = [directory + "/missing"]
                message = "\(directory)/missing: no such file"
            case .directory:
                paths = [directory + "/good", directory]
                message = "\(directory): is a directory"
            case .unreadable:
                // Root reads mode-000 files, so there the unreadable file is one whose read fails (see helper).
                let unreadable = try #require(try unreadableFile(in: directory), "no unreadable file can be made here")
                paths = [directory + "/good", unreadable.path]
                message = unreadable.message
            case .missingAfterAGoodFile:
                paths = [directory + "/good", directory + "/missing"]
                message = "\(directory)/missing: no such file"
            }
            let before = try snapshot(of: store)

            let result = try runFramechain(["blob", "put", "--store", store] + paths, scratch: directory)
            #expect(result.status == 2)
            #expect(result.error == "Error: \(message)\n")
            #expect(result.output.isEmpty)
            #expect(try snapshot(of: store) == before)
        }
    }

    @Test func aMissingFileCreatesNoStore() throws {
        try withTemporaryDirectory { (directory) throws in
            let result = try runFramechain(["blob", "put", "missing"], scratch: directory, workingDirectory: directory)
            #expect(result.status == 2)
            #expect(!FileManager.default.fileExists(atPath: directory + "/.framechain"))
        }
    }

    @Test(arguments: [[], [""]])
    func noFileOrAnEmptyPathIsAUsageError(files: [String]) throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let result = try runFramechain(["blob", "put", "--store", store] + files, scratch: directory)
            #expect(result.status == 64)
            let expected =
                files.isEmpty ? "Error: Name at least one file.\n" : "Error: A file path must not be empty.\n"
            #expect(result.error.hasPrefix(expected))
            #expect(!FileManager.default.fileExists(atPath: store))
        }
    }

    // MARK: - Crashes and concurrency

    /// When to kill the writer: at its first staging file, half-way through staging, or once blobs are being
    /// renamed into place.
    enum KillPoint: String, CaseIterable {
        case firstStagingFile, halfStaged, publishing
    }

    @Test(arguments: KillPoint.allCases)
    func aKilledWriterLeavesNoPartialBlob(_ point: KillPoint) throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let files = try makeFiles(in: directory + "/in", count: 300, size: 96 * 1024, seed: 1000)
            let arguments = ["blob", "put", "--store", store] + files.map(\.path)
            let writer = try launchFramechain(arguments, scratch: directory)
            var reached = false
            while writer.process.isRunning && !reached {
                switch point {
                case .firstStagingFile: reached = !directoryListing(store + "/tmp").isEmpty
                case .halfStaged: reached = directoryListing(store + "/tmp").count >= files.count / 2
                case .publishing:
                    // A shard directory is created just before the first rename: wait for a file in one.
                    reached = directoryListing(store + "/blobs/sha256").contains {
                        !directoryListing(store + "/blobs/sha256/" + $0).isEmpty
                    }
                }
            }
            kill(writer.process.processIdentifier, SIGKILL)
            let killed = try writer.finish()
            #expect(killed.signaled && killed.status == SIGKILL, "the writer finished before it could be killed")

            // No visible partial blob: every blob file hashes to its name, and every row has its file.
            let audit = try auditStore(store)
            #expect(audit.problems == [])
            #expect(audit.rows.isSubset(of: audit.files))
            if point == .publishing { #expect(!audit.files.isEmpty) }

            // Putting again completes the store.
            let rerun = try runFramechain(arguments, scratch: directory)
            #expect(rerun.status == 0)
            let after = try auditStore(store)
            #expect(after.problems == [])
            #expect(after.rows == Set(files.map(\.digest)))
        }
    }

    @Test func twoWritersAtOnceBothSucceed() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let shared = try makeFiles(in: directory + "/shared", count: 60, size: 20_000, seed: 1)
            let onlyA = try makeFiles(in: directory + "/a", count: 60, size: 20_000, seed: 100)
            let onlyB = try makeFiles(in: directory + "/b", count: 60, size: 20_000, seed: 200)
            // Both start on a store that does not exist yet, so they also race to create and migrate it.
            let first = try launchFramechain(
                ["blob", "put", "--store", store] + (shared + onlyA).map(\.path), scratch: directory)
            let second = try launchFramechain(
                ["blob", "put", "--store", store] + (onlyB + shared).map(\.path), scratch: directory)
            let results = [try first.finish(), try second.finish()]
            for result in results {
                #expect(result.status == 0, "\(result.error)")
                #expect(result.error == "")
            }
            #expect(results[0].outputText == (shared + onlyA).map { "\($0.digest)  \($0.path)\n" }.joined())

            let audit = try auditStore(store)
            #expect(audit.problems == [])
            #expect(audit.rows == Set((shared + onlyA + onlyB).map(\.digest)))
            #expect(audit.files == audit.rows)
            let db = try Database(path: store + "/framechain.sqlite", create: false)
            #expect(try db.row("SELECT count(*) FROM blobs")?.int(0) == 180)
            #expect(try db.row("SELECT count(*) FROM schema_migrations")?.int(0) == Store.schemaVersion)
        }
    }
}
