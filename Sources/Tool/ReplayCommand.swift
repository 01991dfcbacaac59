import ArgumentParser
import Chain
import Store

/// `framechain replay RUN`: rebuilds a recorded run's outputs from the store alone.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild a recorded run's outputs and manifest.json from the store alone, verifying every blob.",
        discussion: """
            Uses the run's stored plan, initial image and link outputs; needs neither the plan file nor a \
            generator, and never calls one. Without --out it only verifies. Links without an output (failed or \
            skipped) are listed. Exit status: 0 when everything the run recorded as hit or generated was \
            rebuilt; 3 when some of it is missing from the store; 4 when a blob is corrupt; 2 for an unknown run.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Argument(help: ArgumentHelp("The run: an id, a unique prefix, or latest.", valueName: "run"))
    var runReference: String

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the images and manifest.json here.", valueName: "dir"))
    var out: String?

    func validate() throws {
        if out?.isEmpty == true { throw ValidationError("--out must not be empty.") }
    }

    func run() async throws {
        let result = try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let run = try store.resolveRun(runReference)
            if let cache = try remoteOptions.makeCache(), RemoteMode(rawValue: remoteOptions.mode)?.reads != false {
                // Blobs this store lacks (or has corrupt) are fetched, verified, before the replay.
                let wanted = try store.links(ofRun: run.id).compactMap(\.output) + [run.plan]
                    + (run.initialReference.map { [$0] } ?? [])
                let fetched = try await RemoteTransfer(store: store, cache: cache).fetchMissingBlobs(wanted)
                if fetched > 0 { StandardStream.error.writeLine("fetched \(fetched) blob(s) from \(cache.displayAddress)") }
            }
            return try RunReplayer(store: store).replay(run, to: out)
        }
        let written = result.links.count { $0.output != nil } - result.missing.count
        var text = "replayed run \(result.run.id) (\(result.run.planName), \(result.run.effectiveStatus.rawValue)): "
        text += "\(written) image(s) verified"
        if let out { text += ", written to \(out)/ (manifest.json)" }
        global.inform(text)
        for link in result.withoutOutput {
            StandardStream.error.writeLine(
                "Note: \(link.node) has no output (\(link.outcome.rawValue)\(link.reason.map { ": \($0)" } ?? ""))")
        }
        for link in result.missing {
            StandardStream.error.writeLine(
                "Error: \(link.node) (\(link.outcome.rawValue)) output \(link.output!) is missing from the store")
        }
        if result.initialReferenceMissing, let initial = result.run.initialReference {
            StandardStream.error.writeLine("Error: the initial reference \(initial) is missing from the store")
        }
        if !result.complete { throw ExitCode(ExitStatus.offlineMiss) }
    }
}
