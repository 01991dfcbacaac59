import Foundation
import FrameChainTestKit
import Testing

@testable import Store

/// Every regular file under `root` with its bytes: a raw picture of a store that opens nothing.
func rawFiles(of root: String) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
    while let relative = walker.nextObject() as? String {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
        if !isDirectory.boolValue { result[relative] = try readFile(root + "/" + relative) }
    }
    return result
}

/// Copies the store directory `source` to `destination` with `cp -a`, then removes the named database files.
func copyStore(_ source: String, to destination: String, without removed: [String] = []) throws {
    let copy = Process()
    copy.executableURL = URL(fileURLWithPath: "/bin/cp")
    copy.arguments = ["-a", source, destination]
    try copy.run()
    copy.waitUntilExit()
    #expect(copy.terminationStatus == 0)
    for name in removed { try FileManager.default.removeItem(atPath: destination + "/" + name) }
}

@Suite struct StoreCheckpointCommandTests {
    @Test func aStoreCopiedWithItsWriteAheadLogWorks() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            try writeFile(directory + "/a", Array("hello".utf8))
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/a"], scratch: directory).status == 0)
            #expect(FileManager.default.fileExists(atPath: store + "/framechain.sqlite-wal"))
            try copyStore(store, to: directory + "/copy")
            let cat = try runFramechain(
                ["blob", "cat", "--store", directory + "/copy", "2cf24dba"], scratch: directory)
            #expect(cat.status == 0)
            #expect(cat.output == Array("hello".utf8))
            #expect(try runFramechain(["verify", "--store", directory + "/copy"], scratch: directory).status == 0)
        }
    }

    @Test func aLostWriteAheadLogHoldingCommitsIsRefusedAndTheStoreLeftUnchanged() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            try writeFile(directory + "/a", Array("hello".utf8))
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/a"], scratch: directory).status == 0)
            let copy = directory + "/copy"
            try copyStore(store, to: copy, without: ["framechain.sqlite-wal"])
            let before = try rawFiles(of: copy)

            for arguments in [["verify"], ["runs"], ["blob", "cat", "2cf24dba"], ["store", "checkpoint"]] {
                let result = try runFramechain(arguments + ["--store", copy], scratch: directory)
                #expect(result.status == 4, "\(arguments)")
                #expect(
                    result.error.hasPrefix(
                        "Error: \(copy)/framechain.sqlite-wal is missing, but \(copy)/framechain.sqlite-shm says it held "
                    ), "\(result.error)")
                #expect(result.error.contains("opening the store would lose them"))
                #expect(try rawFiles(of: copy) == before, "\(arguments) changed the store")
            }
            // The original, with its log, is intact.
            #expect(try runFramechain(["verify", "--store", store], scratch: directory).status == 0)
        }
    }

    @Test func afterACheckpointTheMainFileAloneIsComplete() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            try writeFile(directory + "/a", Array("hello".utf8))
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/a"], scratch: directory).status == 0)
            let checkpoint = try runFramechain(["store", "checkpoint", "--store", store], scratch: directory)
            #expect(checkpoint.status == 0)
            #expect(
                checkpoint.outputText
                    == "\(store)/framechain.sqlite now holds everything (the write-ahead log is empty)\n")
            #expect(try readFile(store + "/framechain.sqlite-wal").isEmpty)

            for removed in [["framechain.sqlite-wal"], ["framechain.sqlite-wal", "framechain.sqlite-shm"]] {
                let copy = directory + "/copy-\(removed.count)"
                try copyStore(store, to: copy, without: removed)
                let verify = try runFramechain(["verify", "--store", copy], scratch: directory)
                #expect(verify.status == 0, "\(verify.error)")
                #expect(verify.outputText == "checked 1 blobs (5 bytes) and 0 generations: ok\n")
            }
        }
    }

    @Test func everyRunEndsWithACheckpoint() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let plan = try writeSmallPlan(in: directory)
            let run = try runFramechain(["run", "--store", store, plan, "--json"], scratch: directory)
            #expect(run.status == 0, "\(run.error)")
            // Only the main file and the blobs: the run, its links and generations are all there.
            let copy = directory + "/copy"
            try copyStore(store, to: copy, without: ["framechain.sqlite-wal", "framechain.sqlite-shm"])
            let verify = try runFramechain(["verify", "--store", copy, "--json"], scratch: directory)
            #expect(verify.status == 0, "\(verify.outputText)")
            #expect(verify.outputText.contains("\"generations\": 3"))
            let runs = try runFramechain(["runs", "--store", copy], scratch: directory)
            #expect(runs.outputText.contains("succeeded"))
        }
    }

    @Test func checkpointNeedsAStore() throws {
        try withTemporaryDirectory { (directory) throws in
            let result = try runFramechain(["store", "checkpoint", "--store", directory + "/none"], scratch: directory)
            #expect(result.status == 2)
            #expect(result.error == "Error: no framechain store at \(directory)/none\n")
            #expect(!FileManager.default.fileExists(atPath: directory + "/none"))
        }
    }
}
