import Foundation
import FrameChainTestKit
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
        "sha256:XYZ", "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", "sha256:",
        "../../etc/passwd", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98240",
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
            #expect(
                result.error
                    == "Error: '\(text)' is not a digest: expected sha256:<64 lowercase hex> or a unique prefix of at "
                    + "least 8 lowercase hex digits\n")
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

    @Test func aUniquePrefixOfEightOrMoreHexDigitsNamesTheBlob() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            try writeFile(directory + "/a", Array("hello".utf8))
            #expect(
                try runFramechain(["blob", "put", "--store", store, directory + "/a"], scratch: directory).status == 0)
            let hex = SHA256.hash(data: Array("hello".utf8)).hexString
            for text in [String(hex.prefix(8)), "sha256:" + hex.prefix(12), hex] {
                let result = try runFramechain(["blob", "cat", "--store", store, text], scratch: directory)
                #expect(result.status == 0, "\(text)")
                #expect(result.output == Array("hello".utf8))
            }
            let short = try runFramechain(["blob", "cat", "--store", store, String(hex.prefix(7))], scratch: directory)
            #expect(short.status == 2)
            #expect(
                short.error
                    == "Error: '\(hex.prefix(7))' is too short for a digest prefix: give at least 8 hex digits\n")
            let unknown = try runFramechain(["blob", "cat", "--store", store, "00000000"], scratch: directory)
            #expect(unknown.status == 2)
            #expect(unknown.error == "Error: no stored blob has a digest starting with sha256:00000000\n")
        }
    }

    @Test func anAmbiguousPrefixListsTheCandidatesAndWritesNothing() throws {
        try withTemporaryDirectory { (directory) throws in
            let store = directory + "/store"
            // Found by search: these two contents' digests share their first 8 hex digits, 41b9ada9.
            let contents = ["blob 10674", "blob 15513"]
            for (index, text) in contents.enumerated() { try writeFile(directory + "/f\(index)", Array(text.utf8)) }
            let put = try runFramechain(
                ["blob", "put", "--store", store, directory + "/f0", directory + "/f1"], scratch: directory)
            #expect(put.status == 0)
            let digests = contents.map { SHA256.hash(data: Array($0.utf8)).description }.sorted()
            #expect(digests.allSatisfy { $0.hasPrefix("sha256:41b9ada9") })

            let result = try runFramechain(["blob", "cat", "--store", store, "41b9ada9"], scratch: directory)
            #expect(result.status == 2)
            #expect(result.output.isEmpty)
            #expect(
                result.error
                    == "Error: sha256:41b9ada9 is ambiguous: it starts 2 stored digests (\(digests[0]), \(digests[1])); "
                    + "give more digits\n")
            let lineage = try runFramechain(["lineage", "--store", store, "sha256:41b9ada9"], scratch: directory)
            #expect(lineage.status == 2)
            #expect(lineage.error.contains("is ambiguous"))
        }
    }
}
