import ArgumentParser
import Chain
import Foundation
import Store

/// The plan argument and `--take` overrides shared by `run` and `status`.
struct PlanOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The plan file (framechain.plan/v1 JSON).", valueName: "plan"))
    var plan: String

    @Option(
        name: .customLong("take"),
        help: ArgumentHelp(
            "Override a link's take, e.g. --take start/2=3 (repeatable).", valueName: "node=n"))
    var takes: [String] = []

    func validate() throws {
        _ = try parsedTakes()
    }

    /// The `--take` overrides, parsed.
    func parsedTakes() throws -> [NodeID: Int] {
        var result: [NodeID: Int] = [:]
        for text in takes {
            let parts = text.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let node = NodeID(parsing: parts[0]), let take = Int(parts[1]), take >= 1 else {
                throw ValidationError(
                    "--take \(text): expected NODE=N with NODE like ref/1, start/2 or end/3 and N a whole number >= 1.")
            }
            result[node] = take
        }
        return result
    }

    /// Loads and validates the plan (and checks its initial reference image).
    func load() throws -> LoadedPlan {
        try PlanLoader.load(contentsOf: plan)
    }
}

/// Builds the generator a plan names, wrapped in the retry policy of its options.
enum Generators {
    static func make(for spec: GeneratorSpec) throws -> any Generator {
        RetryingGenerator(
            wrapping: try GeneratorFactory.make(spec: spec, environment: ProcessInfo.processInfo.environment))
    }
}
