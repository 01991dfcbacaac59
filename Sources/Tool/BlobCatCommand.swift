import ArgumentParser
import Store

/// `framechain blob cat DIGEST`: writes a verified blob to standard output.
struct BlobCatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Write a blob's bytes to standard output, after verifying them against the digest.",
        discussion: """
            The blob is hashed before anything is written, so nothing from a corrupt blob reaches standard \
            output (exit status 4). A malformed or unknown digest exits with status 2.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The blob's digest, sha256:<64 lowercase hex>.", valueName: "digest"))
    var digest: String

    func run() async throws {
        try await ExitStatus.reportingErrors {
            guard let digest = Digest(parsing: digest) else {
                throw StoreError(
                    code: .invalidInput,
                    message: "'\(digest)' is not a digest: expected sha256:<64 lowercase hex>")
            }
            let store = try global.openExistingStore()
            try store.stream(digest) { (chunk) throws(StoreError) in try StandardStream.output.write(all: chunk) }
        }
    }
}
