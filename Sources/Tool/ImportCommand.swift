import ArgumentParser
import Store

/// `framechain import FILE`: adds a bundle's run, lineage and blobs to the store, all or nothing.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a bundle written by `framechain export`, verifying every digest and key first.",
        discussion: """
            The bundle is opened read-only and checked completely before the store is touched: every blob's \
            bytes against its digest, every key against its request text, every digest's form, and every \
            referenced blob present in the bundle or the store. Then everything is added at once. A bad bundle \
            exits with status 2 and leaves the store unchanged. Importing a run the store already has changes \
            nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The bundle file.", valueName: "file"))
    var file: String

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let summary = try StoreBundle.importBundle(at: file, intoStoreAt: global.storeDirectory)
            global.inform(
                "imported run \(summary.runIDs.joined(separator: ", ")): \(summary.generations) generations, "
                    + "\(summary.blobsAdded) blobs added, \(summary.blobsPresent) already present")
        }
    }
}
