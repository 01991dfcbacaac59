import FrameChainTestKit
import Foundation
import Testing

@testable import Store

@Suite struct BlobCatCommandTests {
    @Test func writesTheBlobBytesExactly() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let bytes = randomBytes(count: 2 * FileHasher.chunkSize + 999, seed: 4)
            try writeFile(directory + "/in", bytes)
            let put = try runFramechain(["blob", "put", "--store", store, directory + "/in"], scratch: directory)
            #expect(put.status == 0)

            let result = try runFramechain(
                ["blob", "cat", "--store", store, SHA256.hash(data: bytes).description], scratch: directory)
            #expect(result.status == 0)
            #expect(result.error == "")
            #expect(result.output == bytes)
        }
    }

    @Test func aFlippedByteFailsWithIntegrityAndWritesNothing() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            let bytes = randomBytes(count: 100_000, seed: 5)
            let digest = SHA256.hash(data: bytes)
            try writeFile(directory + "/in", bytes)
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/in"], scratch: directory).status == 0)
            let blob = "\(store)/blobs/sha256/\(digest.hexString.prefix(2))/\(digest.hexString)"
            var damaged = try readFile(blob)
            damaged[50_000] ^= 0x01
            try writeFile(blob, damaged)

            let result = try runFramechain(["blob", "cat", "--store", store, digest.description], scratch: directory)
            #expect(result.status == 4)
            #expect(result.output.isEmpty)
            #expect(result.error == "Error: blob \(digest) is corrupt: its bytes do not match its digest\n")
        }
    }

    @Test(arguments: [
        "sha256:XYZ", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", "../../etc/passwd",
    ])
    func aMalformedDigestIsInvalidInputAndChangesNothing(text: String) throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            try writeFile(directory + "/a", Array("hello".utf8))
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/a"], scratch: directory).status == 0)
            let before = try snapshot(of: store)

            let result = try runFramechain(["blob", "cat", "--store", store, text], scratch: directory)
            #expect(result.status == 2)
            #expect(result.output.isEmpty)
            #expect(result.error == "Error: '\(text)' is not a digest: expected sha256:<64 lowercase hex>\n")
            #expect(try snapshot(of: store) == before)
        }
    }

    @Test func anUnknownDigestIsInvalidInput() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            try writeFile(directory + "/a", Array("hello".utf8))
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/a"], scratch: directory).status == 0)
            let before = try snapshot(of: store)
            let unknown = SHA256.hash(data: Array("never stored".utf8))

            let result = try runFramechain(["blob", "cat", "--store", store, unknown.description], scratch: directory)
            #expect(result.status == 2)
            #expect(result.output.isEmpty)
            #expect(result.error == "Error: blob \(unknown) is missing from the store\n")
            #expect(try snapshot(of: store) == before)
        }
    }

    @Test func aMissingStoreIsReportedAndNotCreated() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/nothing-here"
            let digest = SHA256.hash(data: Array("x".utf8))
            let result = try runFramechain(["blob", "cat", "--store", store, digest.description], scratch: directory)
            #expect(result.status == 2)
            #expect(result.error == "Error: no framechain store at \(store)\n")
            #expect(!FileManager.default.fileExists(atPath: store))
        }
    }
}
