import FrameChainTestKit
import Testing

@testable import Store

@Suite struct ReadAheadReaderTests {
    /// Sizes around the read-ahead threshold and chunk boundaries.
    static let sizes = [
        0, 1, FileHasher.readAheadThreshold - 1, FileHasher.readAheadThreshold,
        FileHasher.readAheadThreshold + 1, 9 * FileHasher.chunkSize + 12_345,
    ]

    @Test(arguments: sizes)
    func chunksArriveInOrderAndComplete(size: Int) throws {
        try withTemporaryDirectory { (directory) throws in
            let bytes = randomBytes(count: size, seed: UInt64(size))
            let path = directory + "/file"
            try writeFile(path, bytes)
            #expect(try FileHasher.hash(fileAt: path) == (SHA256.hash(data: bytes), size))

            let handle = try FileHasher.openRegularFile(path)
            var received: [UInt8] = []
            try ReadAheadReader.forEachChunk(
                of: handle, chunkSize: 1000, readFailure: { StoreError.io("read", path, $0) }
            ) { (chunk) throws(StoreError) in
                #expect(chunk.count <= 1000)
                received.append(contentsOf: chunk)
            }
            #expect(received == bytes)
        }
    }

    @Test func aThrowingBodyStopsTheReaderEarly() throws {
        try withTemporaryDirectory { (directory) throws in
            let path = directory + "/file"
            try writeFile(path, randomBytes(count: 100 * 4096, seed: 1))
            let handle = try FileHasher.openRegularFile(path)
            var calls = 0
            let error = #expect(throws: StoreError.self) {
                try ReadAheadReader.forEachChunk(
                    of: handle, chunkSize: 4096, readFailure: { StoreError.io("read", path, $0) }
                ) { (_) throws(StoreError) in
                    calls += 1
                    if calls == 3 { throw StoreError(code: .io, message: "stop here") }
                }
            }
            #expect(error?.description == "stop here")
            #expect(calls == 3)
        }
    }

    @Test func storingAndStreamingALargeFileUseTheReadAheadPath() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = try Store(directory: directory + "/store")
            let bytes = randomBytes(count: FileHasher.readAheadThreshold + 777, seed: 11)
            try writeFile(directory + "/large", bytes)
            let record = try store.put(contentsOf: directory + "/large")
            #expect(record.digest == SHA256.hash(data: bytes))
            #expect(try readFile(store.path(of: record.digest)) == bytes)
            var streamed: [UInt8] = []
            try store.stream(record.digest) { (chunk) throws(StoreError) in streamed.append(contentsOf: chunk) }
            #expect(streamed == bytes)
        }
    }
}
