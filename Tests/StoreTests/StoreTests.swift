import FrameChainTestKit
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct StoreTests {
    /// The `blobs` table, in digest order.
    private func blobRows(_ store: Store) throws -> [Row] {
        try store.read { db in try db.rows("SELECT digest, size, media_type FROM blobs ORDER BY digest") }
    }

    @Test func theStoreDirectoryAndItsLayoutHaveMode0700() throws {
        try withTemporaryDirectory { (directory) throws in
            let root = directory + "/store"
            _ = try Store(directory: root)
            for path in [root, root + "/blobs", root + "/blobs/sha256", root + "/tmp"] {
                #expect(try fileStatus(path).st_mode & 0o7777 == 0o700, "\(path)")
            }
            #expect(FileSystem.exists(root + "/framechain.sqlite"))
        }
    }

    @Test func putBytesRecordsAndReadsBack() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let bytes = pngBytes("not really a picture")
            let record = try store.put(bytes: bytes)
            #expect(record.digest == SHA256.hash(data: bytes))
            #expect(record.size == bytes.count)
            #expect(record.mediaType == .png)
            #expect(try store.blob(for: record.digest) == record)
            #expect(try store.contains(record.digest))
            #expect(try store.contents(of: record.digest) == bytes)
            #expect(try readFile(store.path(of: record.digest)) == bytes)
        }
    }

    @Test func putFileStreamsInChunksAndStreamsBack() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let bytes = randomBytes(count: 2 * FileHasher.chunkSize + 12_345, seed: 7)
            let path = directory + "/input.bin"
            try writeFile(path, bytes)

            let record = try store.put(contentsOf: path)
            #expect(record.digest == SHA256.hash(data: bytes))
            #expect(record.size == bytes.count)
            #expect(record.mediaType == nil)

            var streamed: [UInt8] = []
            var largestChunk = 0
            try store.stream(record.digest) { (chunk) throws(StoreError) in
                streamed.append(contentsOf: chunk)
                largestChunk = max(largestChunk, chunk.count)
            }
            #expect(streamed == bytes)
            #expect(largestChunk <= FileHasher.chunkSize)
        }
    }

    @Test func puttingAnExistingDigestChangesNothing() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let path = directory + "/a"
            try writeFile(path, Array("same bytes".utf8))
            let first = try store.put(contentsOf: path)
            let before = try fileStatus(store.path(of: first.digest))

            let second = try store.put(contentsOf: path)
            let again = try store.put(bytes: Array("same bytes".utf8))
            let after = try fileStatus(store.path(of: first.digest))
            #expect(second.digest == first.digest && again.digest == first.digest)
            #expect(after.st_ino == before.st_ino)
            #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
            #expect(try blobRows(store).count == 1)
            #expect(try store.blob(for: first.digest)?.createdAt == first.createdAt)
            #expect(directoryListing(directory + "/store/tmp").isEmpty)
        }
    }

    @Test func putFilesStoresNothingWhenOneFileIsMissing() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let good = directory + "/good"
            try writeFile(good, Array("good".utf8))
            let missing = directory + "/missing"

            let error = #expect(throws: StoreError.self) { try store.put(files: [good, missing]) }
            #expect(error?.code == .notFound)
            #expect(error?.description == "\(missing): no such file")
            #expect(try blobRows(store).isEmpty)
            #expect(directoryListing(directory + "/store/blobs/sha256").isEmpty)
            #expect(directoryListing(directory + "/store/tmp").isEmpty)
        }
    }

    @Test func aDirectoryIsInvalidInput() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let error = #expect(throws: StoreError.self) { try store.put(contentsOf: directory) }
            #expect(error?.code == .invalidInput)
            #expect(error?.description == "\(directory): is a directory")
            #expect(try blobRows(store).isEmpty)
        }
    }

    @Test func anUnreadableFileIsInvalidInputAndStoresNothing() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let good = directory + "/good"
            try writeFile(good, Array("good".utf8))
            let unreadable = try #require(try unreadableFile(in: directory), "no unreadable file can be made here")

            let error = #expect(throws: StoreError.self) { try store.put(files: [good, unreadable.path]) }
            #expect(error?.code == .invalidInput)
            #expect(error?.description == unreadable.message)
            #expect(try blobRows(store).isEmpty)
            #expect(directoryListing(directory + "/store/blobs/sha256").isEmpty)
            #expect(directoryListing(directory + "/store/tmp").isEmpty)
        }
    }

    @Test func hashingReportsTheSameErrorsAsPutting() throws {
        try withTemporaryDirectory { (directory) throws in
            let missing = #expect(throws: StoreError.self) { try FileHasher.hash(fileAt: directory + "/nope") }
            #expect(missing?.code == .notFound)
            #expect(missing?.description == "\(directory)/nope: no such file")
            let notADirectory = #expect(throws: StoreError.self) {
                try FileHasher.hash(fileAt: "/dev/null/child")
            }
            #expect(notADirectory?.code == .notFound)
            let device = #expect(throws: StoreError.self) { try FileHasher.hash(fileAt: "/dev/null") }
            #expect(device?.description == "/dev/null: is not a regular file")
        }
    }

    @Test func aFlippedByteIsAnIntegrityError() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let record = try store.put(bytes: randomBytes(count: 4096, seed: 3))
            try flipByte(in: store.path(of: record.digest), at: 100)

            let read = #expect(throws: StoreError.self) { try store.contents(of: record.digest) }
            #expect(read?.code == .integrity)
            var received = 0
            let streamed = #expect(throws: StoreError.self) {
                try store.stream(record.digest) { (chunk) throws(StoreError) in received += chunk.count }
            }
            #expect(streamed?.description == "blob \(record.digest) is corrupt: its bytes do not match its digest")
            #expect(received == 0)
        }
    }

    @Test func aReopenedStoreKeepsItsBlobs() throws {
        try withTemporaryDirectory { (directory) throws in
            let digest = try Store(directory: directory + "/store").put(bytes: Array("kept".utf8)).digest
            let reopened = try Store(directory: directory + "/store")
            #expect(try reopened.contents(of: digest) == Array("kept".utf8))
            #expect(try reopened.blob(for: digest)?.size == 4)
        }
    }
}
