import Store

/// How `framechain run` runs a plan.
public struct RunConfiguration: Sendable {
    /// How many generations may run at once (at least 1).
    public var jobs: Int
    /// Take overrides from the command line (`--take start/2=3`), applied over the plan's `takes`.
    public var takes: [NodeID: Int]
    /// Where to write the outputs and `manifest.json`, or `nil` to only record the run in the store.
    public var outputDirectory: String?
    /// When true, nothing may be generated: a run with any link to generate changes nothing and fails with
    /// ``ChainError/offlineMiss(_:)``.
    public var offline: Bool
    /// The most the run may spend, in the unit of the plan's `pricing` table (`--budget`), or `nil` for no limit.
    /// A run whose estimate exceeds it does not start (``ChainError/overBudget(_:)``); once the spent amount plus
    /// the next paid link's expected price would exceed it, no new paid link starts (they are skipped).
    public var budget: Double?

    /// Creates a configuration.
    public init(
        jobs: Int = 4, takes: [NodeID: Int] = [:], outputDirectory: String? = nil, offline: Bool = false,
        budget: Double? = nil
    ) {
        self.budget = budget
        self.jobs = max(1, jobs)
        self.takes = takes
        self.outputDirectory = outputDirectory
        self.offline = offline
    }
}

/// Progress of a run, reported after every link.
public struct RunProgress: Sendable {
    /// Links decided so far (hits, generated, failed, skipped).
    public var done: Int
    /// All links of the plan.
    public var total: Int
    /// Cache hits so far.
    public var hits: Int
    /// Links being generated right now.
    public var generating: Int
    /// Links generated so far.
    public var generated: Int
    /// Links failed so far.
    public var failed: Int
}

/// One link of a finished run, as `run --json` reports it.
public struct RunLink: Sendable, Hashable {
    /// The node.
    public let node: NodeID
    /// The key, or `nil` if the link was skipped before its key was known.
    public let key: Digest?
    /// The output digest, for hits and generated links.
    public let output: Digest?
    /// What happened.
    public let outcome: LinkOutcome
    /// Why it was generated or skipped; `nil` for hits.
    public let reason: String?
    /// The failure message, for failed links.
    public let error: String?
    /// The enhanced prompt.
    public let prompt: String
    /// The output's media type, for links with an output.
    public let mediaType: MediaType?
    /// Whether this run fetched the output from the remote cache (a remote hit).
    public var fetched: Bool = false
}

/// The result of a run.
public struct RunResult: Sendable {
    /// The run's id in the store.
    public let runID: String
    /// How it ended.
    public let status: RunStatus
    /// Every link in plan order.
    public let links: [RunLink]
}

/// Errors of planning and running a chain.
public enum ChainError: Error, Sendable, CustomStringConvertible {
    /// `--offline` found links that would have to be generated: the ones `status` says regenerate, and the
    /// pending ones behind them (whose keys depend on the images those would make).
    case offlineMiss([LinkStatus], pending: [LinkStatus] = [])
    /// A `--take` names a node the plan does not have, or a take below 1.
    case invalidTake(String)
    /// `--budget` is below the run's estimated cost, or the plan has no prices to estimate it with.
    case overBudget(String)

    public var description: String {
        switch self {
        case .offlineMiss(let links, let pending):
            let list = links.map { "  \($0.node): \($0.reason ?? $0.state.rawValue)" }.joined(separator: "\n")
            var text = "offline: \(links.count) link(s) would need generating:\n" + list
            if !pending.isEmpty {
                text += "\nand \(pending.count) more wait on them (their keys depend on the new images): "
                text += pending.map(\.node.description).joined(separator: ", ")
            }
            return text
        case .invalidTake(let message), .overBudget(let message):
            return message
        }
    }
}
