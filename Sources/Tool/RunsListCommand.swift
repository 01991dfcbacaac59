import Formats
import ArgumentParser
import Chain
import Store

/// `framechain runs [list]`: every run, oldest first, with its link counts.
struct RunsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every run, oldest first: id, plan name, status, start time and link counts.",
        discussion: """
            The status of a run whose process died without recording its end is shown as interrupted.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("json"), help: "Print the documented JSON list instead of text.")
    var json = false

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let runs = try store.runs()
            let counts = try store.linkCounts()
            var costs: [String: RunCosts] = [:]
            for run in runs { costs[run.id] = try store.costs(ofRun: run.id) }
            let spent = costs.values.reduce(0) { $0 + $1.spent }
            let saved = costs.values.reduce(0) { $0 + $1.saved }
            if json {
                let list = runs.map { Self.json($0, counts: counts[$0.id] ?? [:], costs: costs[$0.id]) }
                StandardStream.output.writeLine(
                    JSONText.pretty(
                        .object([
                            "runs": .array(list),
                            "total": .object(["spent": .number(spent), "saved": .number(saved)]),
                        ])))
                return
            }
            var out = ""
            for run in runs {
                let count = counts[run.id] ?? [:]
                out += "\(run.id)  \(run.effectiveStatus.rawValue.padding(to: 11))  \(run.startedAt)  "
                out += "hit \(count[.hit] ?? 0)  generated \(count[.generated] ?? 0)  failed \(count[.failed] ?? 0)  "
                out += "skipped \(count[.skipped] ?? 0)  "
                if let cost = costs[run.id], cost.spent > 0 || cost.saved > 0 {
                    out += "spent \(CostEstimate.format(cost.spent))  saved \(CostEstimate.format(cost.saved))  "
                }
                out += "\(run.planName)\n"
            }
            out += "\(runs.count) run(s)"
            if spent > 0 || saved > 0 {
                out += "; spent \(CostEstimate.format(spent)), saved \(CostEstimate.format(saved)) in total"
            }
            out += "\n"
            StandardStream.output.write(out)
        }
    }

    /// One run's summary object (also used by `show`).
    static func json(_ run: RunRecord, counts: [LinkOutcome: Int], costs: RunCosts?) -> JSONValue {
        .object([
            "id": .string(run.id),
            "plan_name": .string(run.planName),
            "plan": .string(run.plan.description),
            "initial_reference": run.initialReference.map { .string($0.description) } ?? .null,
            "status": .string(run.effectiveStatus.rawValue),
            "mode": .string(run.mode),
            "started_at": .string(run.startedAt),
            "finished_at": run.finishedAt.map(JSONValue.string) ?? .null,
            "counts": .object(
                Dictionary(
                    uniqueKeysWithValues: LinkOutcome.allCases.map { ($0.rawValue, .number(Double(counts[$0] ?? 0))) })),
            "spent": .number(costs?.spent ?? 0),
            "saved": .number(costs?.saved ?? 0),
        ])
    }
}
