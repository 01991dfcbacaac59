import FrameChainTestKit
import Foundation
import Testing

@testable import Store

@Suite struct GlobalOptionsTests {
    private let hello = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

    @Test func theDefaultStoreIsDotFramechainInTheWorkingDirectory() throws {
        try withTemporaryDirectory { (directory) throws in
            try writeFile(directory + "/a", Array("hello".utf8))
            let result = try runFramechain(["blob", "put", "a"], scratch: directory, workingDirectory: directory)
            #expect(result.status == 0)
            #expect(result.outputText == "\(hello)  a\n")
            #expect(
                FileManager.default.fileExists(atPath: directory + "/.framechain/blobs/sha256/2c/\(hello.dropFirst(7))")
            )
        }
    }

    @Test func theEnvironmentNamesTheStoreAndStoreOverridesIt() throws {
        try withTemporaryDirectory { (directory) throws in
            try writeFile(directory + "/a", Array("hello".utf8))
            let environment = ["FRAMECHAIN_STORE": directory + "/from-env"]
            let fromEnvironment = try runFramechain(
                ["blob", "put", "a"], scratch: directory, workingDirectory: directory, environment: environment)
            #expect(fromEnvironment.status == 0)
            #expect(FileManager.default.fileExists(atPath: directory + "/from-env/framechain.sqlite"))

            let fromOption = try runFramechain(
                ["blob", "put", "--store", directory + "/from-option", "a"], scratch: directory,
                workingDirectory: directory, environment: environment)
            #expect(fromOption.status == 0)
            #expect(FileManager.default.fileExists(atPath: directory + "/from-option/framechain.sqlite"))
            #expect(!FileManager.default.fileExists(atPath: directory + "/.framechain"))
        }
    }

    @Test func anEmptyStoreOptionIsAUsageError() throws {
        try withTemporaryDirectory { (directory) throws in
            let result = try runFramechain(["blob", "cat", "--store", "", hello], scratch: directory)
            #expect(result.status == 64)
            #expect(result.error.hasPrefix("Error: --store must not be empty.\n"))
        }
    }
}
