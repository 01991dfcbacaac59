import FrameChainTestKit
import Testing

@testable import Store

@Suite struct BlobStoreTests {
    @Test func pathIsShardedByTheFirstTwoHexDigits() {
        let digest = SHA256.hash(data: Array("abc".utf8))
        let blobs = BlobStore(root: "/s")
        #expect(
            blobs.path(for: digest)
                == "/s/blobs/sha256/ba/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func stagingWritesIntoTmpAndPublishingMovesIntoPlace() throws {
        try withTemporaryDirectory { (root) throws in
            let blobs = BlobStore(root: root)
            try blobs.createLayout()
            let bytes = Array("hello".utf8)
            let staged = try blobs.stage(bytes: bytes)
            #expect(staged.temporaryPath.hasPrefix(root + "/tmp/put-"))
            #expect(try readFile(staged.temporaryPath) == bytes)
            #expect(!FileSystem.exists(blobs.path(for: staged.digest)))

            try blobs.publish([staged])
            #expect(try readFile(blobs.path(for: staged.digest)) == bytes)
            #expect(directoryListing(root + "/tmp").isEmpty)
        }
    }

    @Test func publishingAnExistingBlobLeavesTheFileAlone() throws {
        try withTemporaryDirectory { (root) throws in
            let blobs = BlobStore(root: root)
            try blobs.createLayout()
            let first = try blobs.stage(bytes: Array("same".utf8))
            try blobs.publish([first])
            let before = try fileStatus(blobs.path(for: first.digest))

            let second = try blobs.stage(bytes: Array("same".utf8))
            try blobs.publish([second])
            let after = try fileStatus(blobs.path(for: first.digest))
            #expect(after.st_ino == before.st_ino)
            #expect(directoryListing(root + "/tmp").isEmpty)
        }
    }

    @Test func publishingReplacesATruncatedCopy() throws {
        try withTemporaryDirectory { (root) throws in
            let blobs = BlobStore(root: root)
            try blobs.createLayout()
            let bytes = randomBytes(count: 1000, seed: 1)
            let first = try blobs.stage(bytes: bytes)
            try blobs.publish([first])
            try writeFile(blobs.path(for: first.digest), Array(bytes.prefix(10)))

            try blobs.publish([try blobs.stage(bytes: bytes)])
            #expect(try readFile(blobs.path(for: first.digest)) == bytes)
        }
    }

    @Test func discardRemovesStagingFiles() throws {
        try withTemporaryDirectory { (root) throws in
            let blobs = BlobStore(root: root)
            try blobs.createLayout()
            let staged = try blobs.stage(bytes: [1, 2, 3])
            blobs.discard([staged])
            #expect(directoryListing(root + "/tmp").isEmpty)
            #expect(!FileSystem.exists(blobs.path(for: staged.digest)))
        }
    }

    @Test func readingACorruptBlobFailsWithIntegrity() throws {
        try withTemporaryDirectory { (root) throws in
            let blobs = BlobStore(root: root)
            try blobs.createLayout()
            let staged = try blobs.stage(bytes: Array("precious".utf8))
            try blobs.publish([staged])
            try flipByte(in: blobs.path(for: staged.digest), at: 3)

            let error = #expect(throws: StoreError.self) { try blobs.contents(of: staged.digest) }
            #expect(error?.code == .integrity)
            #expect(error?.description == "blob \(staged.digest) is corrupt: its bytes do not match its digest")
        }
    }

    @Test func streamingACorruptBlobPassesNothingOn() throws {
        try withTemporaryDirectory { (root) throws in
            let blobs = BlobStore(root: root)
            try blobs.createLayout()
            let bytes = randomBytes(count: 3 * FileHasher.chunkSize + 17, seed: 2)
            let staged = try blobs.stage(bytes: bytes)
            try blobs.publish([staged])
            try flipByte(in: blobs.path(for: staged.digest), at: bytes.count - 1)

            var received = 0
            let error = #expect(throws: StoreError.self) {
                try blobs.stream(staged.digest) { (chunk) throws(StoreError) in received += chunk.count }
            }
            #expect(error?.code == .integrity)
            #expect(received == 0)
        }
    }

    @Test func streamingAMissingBlobIsNotFound() throws {
        try withTemporaryDirectory { (root) throws in
            let blobs = BlobStore(root: root)
            try blobs.createLayout()
            let digest = SHA256.hash(data: Array("absent".utf8))
            let error = #expect(throws: StoreError.self) {
                try blobs.stream(digest) { (_) throws(StoreError) in }
            }
            #expect(error?.code == .notFound)
            #expect(error?.description == "blob \(digest) is missing from the store")
        }
    }
}
