import ArgumentParser
import Chain
import Store

/// `framechain pull RUN…`: downloads recorded runs from the remote cache.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download recorded runs (their generations, lineage and blobs) from the remote cache.",
        discussion: """
            RUN is a full run id (the remote cannot be searched). Only what the store lacks is downloaded; every \
            action record and blob is verified, and a run is stored whole or not at all. Then `replay`, \
            `lineage` and `show` work on it. Exit status: 0 success; 1 the remote failed; 2 the remote has no \
            such run; 4 something did not verify (nothing of that run was stored); 64 usage.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Argument(help: ArgumentHelp("The full ids of the runs.", valueName: "run"))
    var runs: [String]

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("Give at least one run.") }
        guard remoteOptions.address != nil else {
            throw ValidationError("pull needs --remote URL or $FRAMECHAIN_REMOTE.")
        }
    }

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openStore()
            let transfer = RemoteTransfer(store: store, cache: try remoteOptions.makeCache()!)
            for run in runs {
                let summary = try await transfer.pull(run)
                StandardStream.output.writeLine(
                    "pulled run \(run): \(summary.recordsMoved) generation(s) and \(summary.blobsMoved) blob(s) "
                        + "received, \(summary.recordsPresent) generation(s) already here")
            }
        }
    }
}
