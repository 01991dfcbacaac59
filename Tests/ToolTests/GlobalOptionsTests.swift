import Foundation
import FrameChainTestKit
import Testing

@testable import Store
@testable import Tool

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

    @Test(arguments: [
        ["--store", "S", "--quiet", "blob", "put", "a"], ["--store=S", "-q", "blob", "put", "a"],
        ["blob", "put", "--store", "S", "--quiet", "a"], ["blob", "put", "a", "--quiet", "--store=S"],
    ])
    func globalOptionsAreAcceptedBeforeOrAfterTheSubcommand(arguments: [String]) throws {
        try withTemporaryDirectory { (directory) throws in
            try writeFile(directory + "/a", Array("hello".utf8))
            let result = try runFramechain(arguments, scratch: directory, workingDirectory: directory)
            #expect(result.status == 0, "\(result.error)")
            // blob put prints the digest it stored: that is data, not a summary, so --quiet keeps it.
            #expect(result.outputText == "\(hello)  a\n")
            #expect(FileManager.default.fileExists(atPath: directory + "/S/framechain.sqlite"))
            #expect(!FileManager.default.fileExists(atPath: directory + "/.framechain"))
        }
    }

    @Test func jsonBeforeTheSubcommandReachesIt() throws {
        try withTemporaryDirectory { (directory) throws in
            try writeFile(directory + "/a", Array("hello".utf8))
            #expect(
                try runFramechain(
                    ["--store", "S", "blob", "put", "a"], scratch: directory, workingDirectory: directory
                ).status == 0)
            let before = try runFramechain(
                ["--json", "--store", "S", "verify"], scratch: directory, workingDirectory: directory)
            let after = try runFramechain(
                ["verify", "--store", "S", "--json"], scratch: directory, workingDirectory: directory)
            #expect(before.status == 0)
            #expect(before.outputText.hasPrefix("{"))
            #expect(before.outputText == after.outputText)
            let quiet = try runFramechain(
                ["-q", "--store", "S", "verify"], scratch: directory, workingDirectory: directory)
            #expect(quiet.status == 0)
            #expect(quiet.outputText == "")
            // A command without JSON output refuses --json wherever it stands: a usage error, not silence.
            let refused = try runFramechain(
                ["--json", "--store", "S", "blob", "put", "a"], scratch: directory, workingDirectory: directory)
            #expect(refused.status == 64)
            #expect(refused.error.contains("Unknown option '--json'"))
        }
    }

    @Test func normalizingMovesOnlyTheLeadingGlobalOptions() {
        #expect(
            GlobalArguments.normalized(["--store", "s", "--json", "runs", "list"])
                == ["runs", "list", "--store", "s", "--json"])
        #expect(
            GlobalArguments.normalized(["-q", "blob", "hash", "--", "--store"]) == [
                "blob", "hash", "-q", "--", "--store",
            ])
        #expect(GlobalArguments.normalized(["run", "p.json", "--jobs", "-1"]) == ["run", "p.json", "--jobs=-1"])
        #expect(GlobalArguments.normalized(["run", "--", "--jobs", "-1"]) == ["run", "--", "--jobs", "-1"])
        #expect(GlobalArguments.normalized(["--store"]) == ["--store"])
    }

    @Test(arguments: [
        (
            ["run", "p.json", "--jobs", "0"],
            "The value '0' is invalid for '--jobs <n>': give a whole number from 1 to 256"
        ),
        (
            ["run", "p.json", "--jobs", "-1"],
            "The value '-1' is invalid for '--jobs <n>': give a whole number from 1 to 256"
        ),
        (
            ["run", "p.json", "--jobs", "many"],
            "The value 'many' is invalid for '--jobs <n>': give a whole number from 1 to 256"
        ),
        (
            ["verify", "--jobs", "1000"],
            "The value '1000' is invalid for '--jobs <n>': give a whole number from 1 to 256"
        ),
        (
            ["gc", "--grace", "-5"],
            "The value '-5' is invalid for '--grace <seconds>': give a whole number from 0 to 315360000"
        ),
    ])
    func aBadOptionValueNamesTheValidRange(arguments: [String], message: String) throws {
        try withTemporaryDirectory { (directory) throws in
            let result = try runFramechain(arguments, scratch: directory, workingDirectory: directory)
            #expect(result.status == 64)
            #expect(result.error.hasPrefix("Error: \(message)\n"), "\(result.error)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/.framechain"))
        }
    }

    @Test func quietRunPrintsNothingOnSuccess() throws {
        try withTemporaryDirectory { (directory) throws in
            let plan = try writeSmallPlan(in: directory)
            let quiet = try runFramechain(["-q", "--store", directory + "/S", "run", plan], scratch: directory)
            #expect(quiet.status == 0, "\(quiet.error)")
            #expect(quiet.outputText == "")
            #expect(quiet.error == "")
            let loud = try runFramechain(["run", plan, "--store", directory + "/S"], scratch: directory)
            #expect(loud.outputText.contains("succeeded: 3 links, 3 hits"))
        }
    }
}
