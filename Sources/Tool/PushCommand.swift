import ArgumentParser
import Chain
import Store

/// `framechain push RUN…`: uploads recorded runs to the remote cache.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload recorded runs (their generations, action records and blobs) to the remote cache.",
        discussion: """
            Idempotent and resumable: what the remote already has is not sent again, and each run's own record \
            goes last, so `pull` never sees half a run. Exit status: 0 success; 1 the remote failed; 2 unknown run \
            or a generation missing from the store; 4 a stored blob is corrupt; 64 usage (no remote).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Argument(help: ArgumentHelp("The runs: ids, unique prefixes, or latest.", valueName: "run"))
    var runs: [String]

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("Give at least one run.") }
        guard remoteOptions.address != nil else {
            throw ValidationError("push needs --remote URL or $FRAMECHAIN_REMOTE.")
        }
    }

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let transfer = RemoteTransfer(store: store, cache: try remoteOptions.makeCache()!)
            let records = try runs.map { reference throws(StoreError) in try store.resolveRun(reference) }
            for run in records {
                let summary = try await transfer.push(run)
                StandardStream.output.writeLine(
                    "pushed run \(run.id): \(summary.blobsMoved) blob(s) and \(summary.recordsMoved) action record(s) "
                        + "sent, \(summary.blobsPresent + summary.recordsPresent) already on the remote")
            }
        }
    }
}
