import FrameChainTestKit
import Foundation
import Testing

@testable import Store

@Suite struct BlobHashCommandTests {
    @Test func printsOneDigestLinePerFileLikeSha256sum() throws {
        try withTemporaryDirectory { (directory) throws in
            let files = try makeFiles(in: directory + "/in", count: 3, size: 1000)
            let result = try runFramechain(["blob", "hash"] + files.map(\.path), scratch: directory)
            #expect(result.status == 0)
            #expect(result.error == "")
            #expect(result.outputText == files.map { "\($0.digest)  \($0.path)\n" }.joined())
        }
    }

    @Test func hashesAFileLargerThanOneChunk() throws {
        try withTemporaryDirectory { (directory) throws in
            let bytes = randomBytes(count: 3 * FileHasher.chunkSize + 5, seed: 9)
            try writeFile(directory + "/big", bytes)
            let result = try runFramechain(["blob", "hash", "big"], scratch: directory, workingDirectory: directory)
            #expect(result.outputText == "\(SHA256.hash(data: bytes))  big\n")
        }
    }

    @Test func aMissingFileIsReportedAndTheOthersAreStillHashed() throws {
        try withTemporaryDirectory { (directory) throws in
            try writeFile(directory + "/a", Array("hello".utf8))
            let result = try runFramechain(
                ["blob", "hash", "missing", "a", directory], scratch: directory, workingDirectory: directory)
            #expect(result.status == 2)
            #expect(
                result.outputText
                    == "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a\n")
            #expect(result.error == "Error: missing: no such file\nError: \(directory): is a directory\n")
        }
    }

    @Test func needsAndCreatesNoStore() throws {
        try withTemporaryDirectory { (directory) throws in
            try writeFile(directory + "/a", Array("hello".utf8))
            let result = try runFramechain(["blob", "hash", "a"], scratch: directory, workingDirectory: directory)
            #expect(result.status == 0)
            #expect(!FileManager.default.fileExists(atPath: directory + "/.framechain"))
        }
    }

    @Test func aNameWithANewlineIsEscaped() throws {
        try withTemporaryDirectory { (directory) throws in
            try writeFile(directory + "/a\nb", Array("hello".utf8))
            let result = try runFramechain(["blob", "hash", "a\nb"], scratch: directory, workingDirectory: directory)
            #expect(
                result.outputText
                    == "\\sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a\\nb\n")
        }
    }

    @Test func noFileIsAUsageError() throws {
        try withTemporaryDirectory { (directory) throws in
            let result = try runFramechain(["blob", "hash"], scratch: directory)
            #expect(result.status == 64)
            #expect(result.error.hasPrefix("Error: Name at least one file.\n"))
            #expect(result.output.isEmpty)
        }
    }
}
