import Formats
import ArgumentParser
import Chain
import Store

/// `framechain gc`: removes what nothing references.
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove blobs nothing references and stale staging files.",
        discussion: """
            A blob goes when no generation (output or input), run (plan or initial reference) or run link \
            references it. Correctly named blob files without a row (left by a crash) and staging files in tmp/ \
            whose writer process is gone also go. Nothing younger than the grace period is touched, so a \
            concurrent run or put is never disturbed. With --generations, generations that no remaining run \
            needs (directly or as an ancestor) are dropped first, unless a run is in progress (it may be about to \
            reuse one). Delete old runs with `framechain runs delete`.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "List what would be removed, and how many bytes, without removing.")
    var dryRun = false

    @Flag(name: .customLong("generations"), help: "Also drop generations no remaining run needs.")
    var generations = false

    @Option(
        name: .customLong("grace"),
        help: ArgumentHelp("Keep anything younger than this many seconds (0-315360000).", valueName: "seconds"),
        transform: { try OptionValue.integer($0, in: OptionValue.grace) })
    var grace: Int = 3600

    @Flag(name: .customLong("json"), help: "Print the documented JSON report instead of text.")
    var json = false

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let report = try store.collectGarbage(
                CollectionPolicy(graceSeconds: grace, dropGenerations: generations, dryRun: dryRun))
            if json {
                StandardStream.output.writeLine(JSONText.pretty(Self.json(report)))
                return
            }
            let verb = dryRun ? "would remove" : "removed"
            var out = ""
            for key in report.generations { out += "\(verb) generation \(key)\n" }
            for blob in report.blobs { out += "\(verb) blob \(blob.digest) (\(blob.size) bytes)\n" }
            for blob in report.unrecordedFiles {
                out += "\(verb) unrecorded blob file \(blob.digest) (\(blob.size) bytes)\n"
            }
            for file in report.stagingFiles { out += "\(verb) staging file tmp/\(file.name) (\(file.size) bytes)\n" }
            out += "\(verb) \(report.generations.count) generation(s), "
            out += "\(report.blobs.count + report.unrecordedFiles.count) blob(s), "
            out += "\(report.stagingFiles.count) staging file(s): \(report.bytes) bytes\n"
            for run in report.generationsKeptFor {
                out += "kept every generation: run \(run.runID) (pid \(run.processID)) is in progress\n"
            }
            global.informText(out)
        }
    }

    static func json(_ report: CollectionReport) -> JSONValue {
        .object([
            "dry_run": .bool(report.dryRun),
            "bytes": .number(Double(report.bytes)),
            "generations": .array(report.generations.map { .string($0.description) }),
            "generations_kept_for_runs": .array(report.generationsKeptFor.map { .string($0.runID) }),
            "blobs": .array(
                report.blobs.map {
                    .object(["digest": .string($0.digest.description), "size": .number(Double($0.size))])
                }),
            "unrecorded": .array(
                report.unrecordedFiles.map {
                    .object(["digest": .string($0.digest.description), "size": .number(Double($0.size))])
                }),
            "staging": .array(
                report.stagingFiles.map { .object(["name": .string($0.name), "size": .number(Double($0.size))]) }),
        ])
    }
}
