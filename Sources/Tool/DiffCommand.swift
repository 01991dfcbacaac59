import Formats
import ArgumentParser
import Chain
import Store

/// `framechain diff RUN RUN`: which nodes changed between two runs, and which request field.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show which nodes changed between two runs and which request field changed for each.",
        discussion: """
            Nodes are compared by key; for each differing key the two stored requests are compared field by \
            field (format, generator, params, prompt, take, inputs). RUN is a run id, a unique prefix, or latest.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The earlier run.", valueName: "run"))
    var first: String

    @Argument(help: ArgumentHelp("The later run.", valueName: "run"))
    var second: String

    @Flag(name: .customLong("json"), help: "Print the documented JSON object instead of text.")
    var json = false

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let comparison = try RunComparison.compare(
                try store.resolveRun(first), try store.resolveRun(second), in: store)
            if json {
                StandardStream.output.writeLine(JSONText.pretty(Self.json(comparison)))
                return
            }
            var out = "diff \(comparison.first.id) \(comparison.second.id)\n"
            for change in comparison.changes {
                var line = "\(change.node.padding(to: 9)) \(change.change.padding(to: 8))"
                if !change.fields.isEmpty { line += " \(change.fields.joined(separator: ", "))" }
                if let outcome = change.after?.outcome { line += "  (\(outcome.rawValue) in \(comparison.second.id))" }
                out += line + "\n"
            }
            out += "\(comparison.changes.count) node(s) changed, \(comparison.unchanged) unchanged\n"
            StandardStream.output.write(out)
        }
    }

    static func json(_ comparison: RunComparison) -> JSONValue {
        .object([
            "from": .string(comparison.first.id),
            "to": .string(comparison.second.id),
            "unchanged": .number(Double(comparison.unchanged)),
            "changes": .array(
                comparison.changes.map { change in
                    .object([
                        "node": .string(change.node),
                        "change": .string(change.change),
                        "fields": .array(change.fields.map(JSONValue.string)),
                        "from": change.before.map(ShowCommand.json) ?? .null,
                        "to": change.after.map(ShowCommand.json) ?? .null,
                    ])
                }),
        ])
    }
}
