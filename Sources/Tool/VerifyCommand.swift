import Formats
import ArgumentParser
import Chain
import Store

/// `framechain verify`: the store's fsck.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every blob's hash, every key, every reference and SQLite's integrity.",
        discussion: """
            Blob files are hashed in parallel, one thread per core. Problem kinds: corrupt, missing, unrecorded, \
            stray, key_mismatch, dangling, malformed, database (docs/AUDIT.md). Exit status: 0 when the store is \
            sound, 4 when anything is wrong, 2 when there is no store.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("json"), help: "Print the documented JSON report instead of text.")
    var json = false

    @Option(
        name: .customLong("jobs"),
        help: ArgumentHelp("How many threads hash blobs, 1-256 (default: one per core).", valueName: "n"),
        transform: { try OptionValue.integer($0, in: OptionValue.jobs) })
    var jobs: Int?

    func run() async throws {
        let report = try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            return try jobs.map { try store.verify(workers: $0) } ?? store.verify()
        }
        if json {
            StandardStream.output.writeLine(JSONText.pretty(Self.json(report)))
        } else {
            for problem in report.problems {
                StandardStream.output.writeLine("\(problem.kind.rawValue)  \(problem.subject)  \(problem.detail)")
            }
            let verdict = report.ok ? "ok" : "\(report.problems.count) problem(s)"
            global.inform(
                "checked \(report.blobsChecked) blobs (\(report.bytesChecked) bytes) and "
                    + "\(report.generationsChecked) generations: \(verdict)")
        }
        if !report.ok { throw ExitCode(ExitStatus.integrity) }
    }

    static func json(_ report: VerifyReport) -> JSONValue {
        .object([
            "ok": .bool(report.ok),
            "checked": .object([
                "blobs": .number(Double(report.blobsChecked)),
                "bytes": .number(Double(report.bytesChecked)),
                "generations": .number(Double(report.generationsChecked)),
            ]),
            "problems": .array(
                report.problems.map {
                    .object([
                        "kind": .string($0.kind.rawValue), "subject": .string($0.subject), "detail": .string($0.detail),
                    ])
                }),
        ])
    }
}
