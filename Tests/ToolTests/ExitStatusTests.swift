import ArgumentParser
import Testing

@testable import Store
@testable import Tool

@Suite struct ExitStatusTests {
    @Test(arguments: [
        (StoreError.Code.notFound, Int32(2)), (.invalidInput, 2), (.integrity, 4), (.io, 1), (.database, 1),
        (.unsupportedFormat, 1),
    ])
    func storeErrorsMapToTheirExitStatus(code: StoreError.Code, status: Int32) {
        #expect(ExitStatus.code(for: StoreError(code: code, message: "m")) == status)
    }

    @Test func otherErrorsAreFailures() {
        #expect(ExitStatus.code(for: SQLiteError(code: .busy)) == 1)
        #expect(ExitStatus.code(for: CancellationError()) == 130)
    }

    @Test func reportingErrorsTurnsAnErrorIntoItsExitCode() async {
        await #expect(throws: ExitCode(4)) {
            try await ExitStatus.reportingErrors { throw StoreError(code: .integrity, message: "bad blob") }
        }
        await #expect(throws: ExitCode(3)) {
            try await ExitStatus.reportingErrors { throw ExitCode(3) }
        }
    }

    @Test func usageErrorsExitWith64() throws {
        for arguments in [
            ["blob", "put"], ["blob", "hash"], ["blob", "put", ""], ["blob", "cat", "--store", "", "x"],
        ] {
            let error = #expect(throws: (any Error).self) { try FrameChainCommand.parseAsRoot(arguments) }
            let exitCode = error.map { FrameChainCommand.exitCode(for: $0) }
            #expect(exitCode == .validationFailure, "\(arguments)")
        }
        let error = #expect(throws: (any Error).self) { try FrameChainCommand.parseAsRoot(["blob", "put"]) }
        #expect(error.map { FrameChainCommand.message(for: $0) } == "Name at least one file.")
    }

    @Test func digestLinesEscapeLikeSha256sum() {
        let digest = SHA256.hash(data: Array("x".utf8))
        #expect(BlobCommand.line(digest: digest, path: "a b") == "\(digest)  a b")
        #expect(BlobCommand.line(digest: digest, path: "a\\b\nc\rd") == "\\\(digest)  a\\\\b\\nc\\rd")
    }
}
