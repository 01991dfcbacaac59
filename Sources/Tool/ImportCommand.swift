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
            referenced blob present in the bundle or the store (a blob the store already has is re-hashed before it \
            is trusted; a damaged local copy is replaced by the bundle's). Then everything is added at once. A bad \
            bundle exits with status 2 and leaves the store unchanged. A run the store already has with identical \
            content is left as it is (said so, exit 0); with different content the import is refused with exit \
            status 4, unless --rename imports it as RUN-2 (or the next free number).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The bundle file.", valueName: "file"))
    var file: String

    @Flag(
        name: .customLong("rename"),
        help: "Import a run whose id the store has with different content under a new id (RUN-2, …).")
    var rename = false

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let summary = try StoreBundle.importBundle(
                at: file, intoStoreAt: global.storeDirectory, renaming: rename)
            for id in summary.unchanged {
                global.inform("run \(id) is already in the store with identical content: nothing to import")
            }
            for (old, new) in summary.renamed.sorted(by: { $0.key < $1.key }) {
                global.inform("run \(old) exists in the store with different content: imported as \(new)")
            }
            if !summary.runIDs.isEmpty {
                global.inform(
                    "imported run \(summary.runIDs.joined(separator: ", ")): \(summary.generations) generations, "
                        + "\(summary.blobsAdded) blobs added, \(summary.blobsPresent) already present")
            }
        }
    }
}
