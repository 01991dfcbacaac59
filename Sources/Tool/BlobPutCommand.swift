import ArgumentParser
import Store

/// `framechain blob put FILE…`: stores files in one batch and prints their digests.
struct BlobPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Store files as blobs and print their digests (sha256:<hex>  FILE).",
        discussion: """
            All files are stored in one batch: if any cannot be read, nothing is recorded and the store is left \
            as it was. Storing a blob that is already stored changes nothing.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The files to store.", valueName: "file"))
    var files: [String] = []

    func validate() throws {
        try BlobCommand.validate(files: files)
    }

    func run() async throws {
        try await ExitStatus.reportingErrors {
            // Check every file before opening the store, so that a typo never creates an empty store.
            for path in files { try FileHasher.checkRegularFile(at: path) }
            let store = try global.openStore()
            let records = try store.put(files: files)
            for (record, path) in zip(records, files) {
                StandardStream.output.writeLine(BlobCommand.line(digest: record.digest, path: path))
            }
        }
    }
}
