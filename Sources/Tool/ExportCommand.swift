import ArgumentParser
import Store

/// `framechain export RUN --to FILE`: writes a self-contained bundle of one run.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one run, its plan, lineage and every blob into a single-file bundle.",
        discussion: """
            The bundle is a SQLite database (format framechain.bundle/v1, docs/AUDIT.md) holding the run and its \
            links, its plan and initial image, every generation its links need and their ancestors, and every \
            blob's bytes, each verified as it is read. FILE must not exist. Import it with `framechain import`.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The run: an id, a unique prefix, or latest.", valueName: "run"))
    var runReference: String

    @Option(name: .customLong("to"), help: ArgumentHelp("The bundle file to create.", valueName: "file"))
    var file: String

    func validate() throws {
        if file.isEmpty { throw ValidationError("--to must not be empty.") }
    }

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let run = try store.resolveRun(runReference)
            let summary = try StoreBundle.export(runID: run.id, from: store, to: file)
            global.inform(
                "exported run \(summary.runID): \(summary.generations) generations, \(summary.blobs) blobs "
                    + "(\(summary.bytes) bytes) to \(file)")
        }
    }
}
