import Formats
import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ChainRunner {
    /// Runs a plan: reuses stored generations, generates the rest (up to `configuration.jobs` at once),
    /// records the run, and writes the outputs and `manifest.json` when an output directory is given.
    ///
    /// Every generated link is committed to the store before its dependents start. A link that fails (after
    /// the generator's retries) skips its downstream while the other chains go on. Cancelling the calling task
    /// stops scheduling, records the run as interrupted and keeps every finished link.
    ///
    /// - Parameters:
    ///   - loaded: The plan.
    ///   - configuration: Jobs, takes, output directory, offline mode.
    ///   - progress: Called after every decided link.
    /// - Returns: The run's id, status and links.
    /// - Throws: ``ChainError/offlineMiss(_:)`` in offline mode when anything would be generated (nothing is
    ///   written then); ``StoreError`` when the store fails.
    public func run(
        _ loaded: LoadedPlan, configuration: RunConfiguration,
        progress: (@Sendable (RunProgress) -> Void)? = nil
    ) async throws -> RunResult {
        if configuration.offline {
            let report = try await status(of: loaded, takes: configuration.takes)
            let misses = report.links.filter { $0.state == .regenerate }
            if !misses.isEmpty {
                throw ChainError.offlineMiss(misses, pending: report.links.filter { $0.state == .pending })
            }
        }
        try Self.validate(takes: configuration.takes, graph: ChainGraph(plan: loaded.plan))
        if let budget = configuration.budget {
            guard loaded.plan.pricing != nil else {
                throw ChainError.overBudget("--budget needs prices, and the plan has no pricing table")
            }
            let cost = try await status(of: loaded, takes: configuration.takes).cost ?? CostEstimate()
            if cost.toGenerate > budget + Self.budgetTolerance {
                throw ChainError.overBudget(
                    "the estimated cost of this run, \(CostEstimate.format(cost.toGenerate)) for \(cost.links) link(s) "
                        + "to generate, exceeds --budget \(CostEstimate.format(budget)); nothing was generated")
            }
        }
        let store = self.store
        let putBlobs = { () throws(StoreError) -> (initial: Digest?, plan: Digest) in
            let initial = try loaded.initialReferencePath.map { path throws(StoreError) in
                try store.putIfAbsent(contentsOf: path).digest
            }
            return (initial, try store.put(bytes: loaded.bytes).digest)
        }
        let (initial, planBlob) = try putBlobs()
        let prepared = try prepare(loaded.plan, takes: configuration.takes, initialReference: initial)
        let runID = Self.makeRunID()
        var takesJSON: [String: JSONValue] = [:]
        for (node, take) in configuration.takes { takesJSON[node.description] = .number(Double(take)) }
        try store.begin(
            run: RunRecord(
                id: runID, planName: loaded.plan.name, plan: planBlob, planPath: loaded.path,
                initialReference: initial, takes: CanonicalJSON.string(.object(takesJSON)), startedAt: Timestamp.now(),
                finishedAt: nil, status: .running, mode: configuration.offline ? "offline" : "generate",
                processID: Int(getpid())),
            restoringBlobs: { () throws(StoreError) in _ = try putBlobs() })

        var execution = Execution(
            runner: self, prepared: prepared, runID: runID,
            explainer: LinkExplainer(store: store, previous: prepared.previous), jobs: configuration.jobs,
            progress: progress)
        if let budget = configuration.budget, let pricing = prepared.plan.pricing {
            execution.budget = budget
            execution.prices = try expectedPrices(prepared: prepared, pricing: pricing)
        }
        let status: RunStatus
        do {
            status = try await execution.execute()
        } catch {
            // The store failed (or something else stopped the scheduler): record what is known, and the run as
            // failed, rather than leaving it "running".
            try? execution.recordUnfinished(reason: "run aborted: \(SecretRedactor().redact("\(error)"))")
            try? store.finish(runID: runID, status: .failed)
            throw error
        }
        try store.finish(runID: runID, status: status)
        let links = execution.finalLinks()
        if let directory = configuration.outputDirectory {
            try OutputWriter(store: store).write(
                runID: runID, planName: loaded.plan.name, status: status, links: links, to: directory)
        }
        return RunResult(runID: runID, status: status, links: links)
    }

    /// Rounding slack when comparing amounts with `--budget`.
    static let budgetTolerance = 1e-9

    /// A new run id: the UTC start time and 24 random bits, e.g. `20261125-174346-3fa9c1`.
    public static func makeRunID() -> String {
        let now = Timestamp.now()  // 2026-11-25T17:43:46.123Z
        let digits = now.filter(\.isNumber)
        let stamp = String(digits.prefix(8)) + "-" + String(digits.dropFirst(8).prefix(6))
        let random = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
        return stamp + "-" + String(repeating: "0", count: 6 - random.count) + random
    }
}
