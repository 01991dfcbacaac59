import ArgumentParser
import Store

/// `framechain runs delete RUN…`: forgets runs, so that `gc` can reclaim what only they used.
struct RunsDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete runs and their links (generations and blobs stay until gc).",
        discussion: """
            RUN is a run id, a unique prefix of one, or latest. A run that is still running is refused. \
            Afterwards `framechain gc` removes blobs no remaining run or generation references, and \
            `framechain gc --generations` also drops generations no remaining run needs.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The runs to delete.", valueName: "run"))
    var runs: [String] = []

    func validate() throws {
        if runs.isEmpty { throw ValidationError("Name at least one run.") }
    }

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            // Resolve every reference first, so that a typo deletes nothing.
            var ids: [String] = []
            for reference in runs { ids.append(try store.resolveRun(reference).id) }
            try store.deleteRuns(ids)
            for id in ids { global.inform("deleted run \(id)") }
        }
    }
}
