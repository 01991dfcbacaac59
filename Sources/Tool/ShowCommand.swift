import Formats
import ArgumentParser
import Chain
import Store

/// `framechain show RUN`: one run's links with their outcome and reason.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: its plan, status and every link's key, output, outcome and reason.",
        discussion: "RUN is a run id, a unique prefix of one, or latest.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runReference: String

    @Flag(name: .customLong("json"), help: "Print the documented JSON object instead of text.")
    var json = false

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let record = try store.resolveRun(runReference)
            let links = try store.links(ofRun: record.id)
            let counts = try store.linkCounts()[record.id] ?? [:]
            let costs = try store.costs(ofRun: record.id)
            let linkCosts = try store.linkCosts(ofRun: record.id)
            if json {
                guard case .object(var object) = RunsListCommand.json(record, counts: counts, costs: costs) else {
                    return
                }
                object["links"] = .array(
                    links.map { link in
                        guard case .object(var fields) = Self.json(link) else { return Self.json(link) }
                        fields["cost"] = linkCosts[link.node].map(JSONValue.number) ?? .null
                        return .object(fields)
                    })
                StandardStream.output.writeLine(JSONText.pretty(.object(object)))
                return
            }
            var out = "run \(record.id)  \(record.planName)  \(record.effectiveStatus.rawValue)  mode \(record.mode)\n"
            out += "started \(record.startedAt)  finished \(record.finishedAt ?? "-")\n"
            out += "plan \(record.plan)\n"
            if let initial = record.initialReference { out += "initial reference \(initial)\n" }
            let width = max(8, links.map(\.node.count).max() ?? 0)
            for link in links {
                var line = "\(link.node.padding(to: width))  \(link.outcome.rawValue.padding(to: 9))  "
                line += link.output.map { String($0.description.prefix(19)) } ?? "-".padding(to: 19)
                if let cost = linkCosts[link.node], link.outcome == .generated || link.outcome == .hit {
                    line += "  \(link.outcome == .hit ? "saved" : "cost") \(CostEstimate.format(cost))"
                }
                if let reason = link.reason { line += "  \(reason)" }
                if let error = link.error { line += ": \(error)" }
                out += line + "\n"
            }
            out += "\(links.count) links: hit \(counts[.hit] ?? 0), generated \(counts[.generated] ?? 0), "
            out += "failed \(counts[.failed] ?? 0), skipped \(counts[.skipped] ?? 0)\n"
            if costs.spent > 0 || costs.saved > 0 {
                out += "spent \(CostEstimate.format(costs.spent)), saved \(CostEstimate.format(costs.saved))\n"
            }
            StandardStream.output.write(out)
        }
    }

    static func json(_ link: RunLinkRecord) -> JSONValue {
        .object([
            "node": .string(link.node),
            "key": link.key.map { .string($0.description) } ?? .null,
            "output": link.output.map { .string($0.description) } ?? .null,
            "outcome": .string(link.outcome.rawValue),
            "reason": link.reason.map(JSONValue.string) ?? .null,
            "error": link.error.map(JSONValue.string) ?? .null,
        ])
    }
}
