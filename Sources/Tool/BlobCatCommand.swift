import ArgumentParser
import Store

/// `framechain blob cat DIGEST`: writes a verified blob to standard output.
struct BlobCatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Write a blob's bytes to standard output, after verifying them against the digest.",
        discussion: """
            The blob is hashed before anything is written, so nothing from a corrupt blob reaches standard \
            output (exit status 4). A malformed, unknown or ambiguous digest exits with status 2.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(
        help: ArgumentHelp(
            "The blob's digest, sha256:<64 hex>, or a unique prefix of at least 8 hex digits.", valueName: "digest"))
    var digest: String

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let digest = try store.resolveDigest(digest)
            try store.stream(digest) { (chunk) throws(StoreError) in try StandardStream.output.write(all: chunk) }
        }
    }
}
