import Formats
import ArgumentParser
import Chain
import Store

/// `framechain status PLAN`: the dry run.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the next run would do, link by link, without generating or writing anything.",
        discussion: """
            Each link is `cached` (reused), `regenerate` (with the reason, compared with the latest run of \
            the same plan name) or `pending` (waits on a regenerating upstream link). With --remote, a link this \
            store lacks but the remote cache holds is `cached (remote)`: the next run downloads it (status asks \
            for its action record and checks its blob exists; it downloads nothing).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Flag(name: .customLong("json"), help: "Print the documented JSON report instead of text.")
    var json = false

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let loaded = try planOptions.load()
            let takes = try planOptions.parsedTakes()
            // The dry run checks what `run` would check first: the generator's backend, model and options.
            _ = try Generators.make(for: loaded)
            _ = try Generators.makeClip(for: loaded)
            // `status` never calls a generator, so it needs none: the runner is given one that refuses.
            let remote = try remoteOptions.makeSession()
            defer { RemoteOptions.printWarnings(of: remote) }
            let report = try await global.withStoreForReading { store in
                try await ChainRunner(store: store, generator: RefusingGenerator(), remote: remote)
                    .status(of: loaded, takes: takes)
            }
            if json {
                StandardStream.output.writeLine(JSONText.pretty(Self.json(report)))
            } else {
                StandardStream.output.write(Self.text(report))
            }
            for warning in report.warnings { StandardStream.error.writeLine("Warning: \(warning)") }
        }
    }

    static func json(_ report: StatusReport) -> JSONValue {
        .object([
            "plan": .string(report.planName),
            "links": .array(
                report.links.map { link in
                    .object([
                        "node": .string(link.node.description),
                        "state": .string(link.state.rawValue),
                        "key": link.key.map { .string($0.description) } ?? .null,
                        "output": link.output.map { .string($0.description) } ?? .null,
                        "reason": link.reason.map(JSONValue.string) ?? .null,
                        "prompt": .string(link.prompt),
                        "model_version": link.modelVersion.map(JSONValue.string) ?? .null,
                        "remote": .bool(link.remote),
                        "origin": link.origin.map(JSONValue.string) ?? .null,
                    ])
                }),
            "summary": .object([
                "cached": .number(Double(report.links.count { $0.state == .cached })),
                "regenerate": .number(Double(report.links.count { $0.state == .regenerate })),
                "pending": .number(Double(report.links.count { $0.state == .pending })),
            ]),
            "warnings": .array(report.warnings.map(JSONValue.string)),
            "cost": report.cost.map { cost in
                .object([
                    "estimate": .number(cost.toGenerate), "links": .number(Double(cost.links)),
                    "saved": .number(cost.saved), "cold": .number(cost.cold),
                    "unpriced": .number(Double(cost.unpriced)),
                ])
            } ?? .null,
        ])
    }

    static func text(_ report: StatusReport) -> String {
        let width = max(8, report.links.map(\.node.description.count).max() ?? 0)
        var out = ""
        for link in report.links {
            let node = link.node.description.padding(to: width)
            let state = (link.remote ? "cached (remote)" : link.state.rawValue).padding(to: 10)
            out += "\(node)  \(state)  \(link.reason ?? "")".trimmingTrailingSpaces() + "\n"
        }
        let cached = report.links.count { $0.state == .cached }
        let regenerate = report.links.count { $0.state == .regenerate }
        let pending = report.links.count { $0.state == .pending }
        let remote = report.links.count(where: \.remote)
        out += "\(report.planName): \(report.links.count) links: \(cached) cached"
        out += remote > 0 ? " (\(remote) on the remote cache), " : ", "
        out += "\(regenerate) to regenerate, "
        out += "\(pending) pending\n"
        if let cost = report.cost { out += estimateLine(cost) + "\n" }
        return out
    }

    /// `estimate: 0.16 for 4 links to generate; the cache saves 0.48 of a cold run's 0.64`.
    static func estimateLine(_ cost: CostEstimate) -> String {
        var line =
            "estimate: \(CostEstimate.format(cost.toGenerate)) for \(cost.links) link"
            + "\(cost.links == 1 ? "" : "s") to generate; the cache saves \(CostEstimate.format(cost.saved)) of a cold "
            + "run's \(CostEstimate.format(cost.cold))"
        if cost.unpriced > 0 { line += " (\(cost.unpriced) links have no price in the plan)" }
        return line
    }
}

/// The generator used where none may be called (`status`, `--offline`, `replay`): it always fails.
struct RefusingGenerator: Generator {
    func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        throw GeneratorError("no generator may be called here (offline)")
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
