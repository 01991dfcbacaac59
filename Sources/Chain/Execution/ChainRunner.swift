import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs plans against a store: predicts (`status`), generates what is missing and reuses the rest (`run`).
///
/// ```swift
/// let store = try Store(directory: ".framechain")
/// let loaded = try PlanLoader.load(contentsOf: "fixtures/plans/perfume-ad.json")
/// let runner = ChainRunner(store: store, generator: try ProceduralGenerator(options: [:]))
/// let result = try await runner.run(loaded, configuration: RunConfiguration(outputDirectory: "out"))
/// ```
public struct ChainRunner: Sendable {
    /// The store that holds blobs and lineage.
    public let store: Store
    /// The generator that makes missing images.
    public let generator: any Generator
    /// The remote cache consulted on a local miss and given what is generated, if any.
    public let remote: RemoteSession?

    /// The generator that makes missing clips (the plan's `clips.generator`); `nil` uses ``generator``.
    public let clipGenerator: (any Generator)?

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - store: The store.
    ///   - generator: The generator of the frames (the plan's `generator`).
    ///   - clipGenerator: The generator of the clips (the plan's `clips.generator`), or `nil` to use `generator`.
    ///   - remote: The remote cache, if any.
    public init(
        store: Store, generator: any Generator, clipGenerator: (any Generator)? = nil, remote: RemoteSession? = nil
    ) {
        self.store = store
        self.generator = generator
        self.clipGenerator = clipGenerator
        self.remote = remote
    }

    // MARK: - Preparing

    /// Everything about a plan that does not depend on upstream outputs.
    struct Prepared {
        let plan: Plan
        let graph: ChainGraph
        let prompts: [NodeID: String]
        let takes: [NodeID: Int]
        let initialReference: Digest?
        /// The upstream cause `ref/1` names when only its input changed: `initial reference changed` when the
        /// latest run of the plan started from another image.
        let initialCause: String
        /// The baseline: the latest recorded attempt at each node among the runs of the plan's name.
        let previous: [String: PreviousLink]

        /// The generator spec that makes `node`: the plan's `generator` for frames, `clips.generator` for clips.
        func generatorSpec(for node: NodeID) -> GeneratorSpec {
            node.role == .clip ? plan.clips!.generator : plan.generator
        }

        func request(for node: NodeID, inputs: [Digest]) -> GenerationRequest {
            let spec = generatorSpec(for: node)
            return GenerationRequest(
                backend: spec.backend, model: spec.model, params: spec.params,
                prompt: prompts[node]!, inputs: inputs, take: takes[node]!)
        }
    }

    /// Validates the takes, computes every prompt and take, and reads the baseline the plan is explained against.
    func prepare(_ plan: Plan, takes overrides: [NodeID: Int], initialReference: Digest?) throws -> Prepared {
        let graph = ChainGraph(plan: plan)
        try Self.validate(takes: overrides, graph: graph)
        var prompts: [NodeID: String] = [:]
        var takes: [NodeID: Int] = [:]
        for node in graph.nodes {
            prompts[node] = PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: node.scene - 1, role: node.role)
            takes[node] = overrides[node] ?? plan.scenes[node.scene - 1].take(for: node.role)
        }
        let previousInitial = try store.latestRun(planName: plan.name)?.initialReference
        return Prepared(
            plan: plan, graph: graph, prompts: prompts, takes: takes, initialReference: initialReference,
            initialCause: previousInitial != nil && previousInitial != initialReference
                ? "initial reference changed" : "initial reference",
            previous: try store.previousLinks(planName: plan.name, nodes: Set(graph.nodes.map(\.description))))
    }

    /// Checks `--take` overrides against the plan: an existing node and a take from 1 to 2^53 - 1 (beyond that the
    /// take, a JSON number, would no longer be exact in the key).
    ///
    /// - Throws: ``ChainError/invalidTake(_:)``.
    public static func validate(takes overrides: [NodeID: Int], graph: ChainGraph) throws {
        for (node, take) in overrides.sorted(by: { $0.key < $1.key }) {
            guard graph.contains(node) else {
                let why =
                    node.role != .clip || node.scene > graph.sceneCount
                    ? "the plan has only \(graph.sceneCount) scene\(graph.sceneCount == 1 ? "" : "s")"
                    : graph.clipScenes.isEmpty
                        ? "the plan has no clips stage" : "scene \(node.scene) has no clip in the plan's clips stage"
                throw ChainError.invalidTake("--take \(node)=\(take): \(why)")
            }
            guard (1...PlanLoader.maximumTake).contains(take) else {
                throw ChainError.invalidTake("--take \(node)=\(take): a take is from 1 to \(PlanLoader.maximumTake)")
            }
        }
    }

    // MARK: - Status

    /// Predicts what the next run of `loaded` does, link by link, without writing anything or calling a generator.
    ///
    /// - Parameters:
    ///   - loaded: The plan.
    ///   - takes: `--take` overrides.
    /// - Returns: Per link `cached`, `regenerate` (with the reason) or `pending`.
    ///
    /// With a readable remote cache, a local miss is looked up there (its action record, checked, and a `HEAD` of
    /// its output): a link the remote holds is `cached` with ``LinkStatus/remote`` set, and its recorded output
    /// lets the links after it be predicted too. Nothing is downloaded.
    public func status(of loaded: LoadedPlan, takes: [NodeID: Int] = [:]) async throws -> StatusReport {
        let initial = try loaded.initialReferencePath.map { try FileHasher.hash(fileAt: $0).digest }
        let prepared = try prepare(loaded.plan, takes: takes, initialReference: initial)
        return try await status(of: prepared)
    }

    /// Predicts from the store (in one read snapshot); with a readable remote, asks it for the keys of every link to
    /// regenerate at once, and predicts again with what it holds, until it holds nothing new.
    func status(of prepared: Prepared) async throws -> StatusReport {
        var onRemote: [Digest: Digest] = [:]
        var asked: Set<Digest> = []
        while true {
            let report = try store.readingSnapshot { try predict(prepared, onRemote: onRemote) }
            guard let remote, remote.readable else { return report }
            let keys = report.links.filter { $0.state == .regenerate }.compactMap(\.key).filter {
                asked.insert($0).inserted
            }
            let found = await withTaskGroup(of: (Digest, Digest?).self) { group in
                for key in keys { group.addTask { (key, await remoteOutput(for: key)) } }
                var found: [Digest: Digest] = [:]
                for await (key, output) in group { if let output { found[key] = output } }
                return found
            }
            if found.isEmpty { return report }
            onRemote.merge(found) { first, _ in first }
        }
    }

    /// The output the remote cache holds for `key` (record checked, blob present), if readable.
    private func remoteOutput(for key: Digest) async -> Digest? {
        guard let remote, let record = await remote.record(for: key) else { return nil }
        do {
            return try await remote.cache.containsBlob(record.generation.output) ? record.generation.output : nil
        } catch {
            remote.note(error)
            return nil
        }
    }

    private func predict(_ prepared: Prepared, onRemote: [Digest: Digest]) throws -> StatusReport {
        let explainer = LinkExplainer(store: store, previous: prepared.previous)
        var outputs: [NodeID: Digest] = [:]
        var links: [LinkStatus] = []
        // Per resolved model version: when it first made a cached link, and which links it made.
        var versions: [String: (since: String, nodes: [NodeID])] = [:]
        var clipVersions: [String: (since: String, nodes: [NodeID])] = [:]
        var regenerating: [NodeID: LinkStatus] = [:]
        for node in prepared.graph.nodes {
            let upstreams = prepared.graph.upstreams(of: node)
            let inputs: [Digest]
            if !upstreams.isEmpty {
                if let waiting = upstreams.first(where: { outputs[$0] == nil }) {
                    // Name the regenerating link this one waits behind, and why that one regenerates.
                    let cause = regenerating[waiting]!
                    regenerating[node] = cause
                    links.append(
                        LinkStatus(
                            node: node, state: .pending, key: nil,
                            reason: "waits on \(cause.node) (\(cause.reason ?? ""))",
                            prompt: prepared.prompts[node]!, output: nil, modelVersion: nil))
                    continue
                }
                inputs = upstreams.map { outputs[$0]! }
            } else {
                inputs = prepared.initialReference.map { [$0] } ?? []
            }
            let request = prepared.request(for: node, inputs: inputs)
            let key = request.key
            if let generation = try store.cachedOutput(for: key) {
                outputs[node] = generation.output
                // Frames and clips come from different generators: their versions are compared apart.
                if let version = generation.modelVersion {
                    // In place: a copy of the entry would copy its node list once per link.
                    let since = generation.createdAt
                    if node.role == .clip {
                        clipVersions[version, default: (since, [])].since = min(clipVersions[version]?.since ?? since, since)
                        clipVersions[version]!.nodes.append(node)
                    } else {
                        versions[version, default: (since, [])].since = min(versions[version]?.since ?? since, since)
                        versions[version]!.nodes.append(node)
                    }
                }
                links.append(
                    LinkStatus(
                        node: node, state: .cached, key: key, reason: nil, prompt: prepared.prompts[node]!,
                        output: generation.output, modelVersion: generation.modelVersion, origin: generation.origin))
            } else if let output = onRemote[key] {
                outputs[node] = output
                links.append(
                    LinkStatus(
                        node: node, state: .cached, key: key, reason: nil, prompt: prepared.prompts[node]!,
                        output: output, modelVersion: nil, remote: true))
            } else {
                let causes =
                    upstreams.isEmpty
                    ? [prepared.initialCause] : Self.upstreamCauses(of: node, graph: prepared.graph)
                // A key another run is generating right now: the next run waits for it instead of paying again.
                let reason =
                    try store.liveLease(on: key).map { "in flight (pid \($0.processID))" }
                    ?? explainer.reason(for: node, request: request, key: key, upstreamCauses: causes)
                let link = LinkStatus(
                    node: node, state: .regenerate, key: key,
                    reason: reason,
                    prompt: prepared.prompts[node]!, output: nil, modelVersion: nil)
                regenerating[node] = link
                links.append(link)
            }
        }
        var warnings: [String] = []
        for (what, found) in [("generations", versions), ("clips", clipVersions)] where found.count > 1 {
            // Oldest version first, each with the links it made, so the user sees which links to redo.
            let described = found.sorted { ($0.value.since, $0.key) < ($1.value.since, $1.key) }.map {
                version, entry in
                "\(version) for \(entry.nodes.count) link\(entry.nodes.count == 1 ? "" : "s") (\(Self.list(entry.nodes)))"
            }
            warnings.append(
                "the cached \(what) of \"\(prepared.plan.name)\" came from \(found.count) different model versions: "
                    + described.joined(separator: ", "))
        }
        var report = StatusReport(planName: prepared.plan.name, links: links, warnings: warnings)
        report.cost = try prepared.plan.pricing.map { pricing in
            try estimate(links, prepared: prepared, pricing: pricing)
        }
        return report
    }

    /// The expected cost of the links to generate (to regenerate, or pending behind one: they most likely regenerate
    /// too) and what the cached links would cost, by the plan's prices.
    func estimate(_ links: [LinkStatus], prepared: Prepared, pricing: Pricing) throws -> CostEstimate {
        var estimate = CostEstimate()
        let prices = try expectedPrices(prepared: prepared, pricing: pricing)
        for link in links {
            guard let price = prices[prepared.generatorSpec(for: link.node).model] else {
                estimate.unpriced += 1
                if link.state != .cached { estimate.links += 1 }
                continue
            }
            if link.state == .cached {
                estimate.saved += price
            } else {
                estimate.toGenerate += price
                estimate.links += 1
            }
        }
        return estimate
    }

    /// What an upstream change means for `node`, per input in request order: `start/3 changed` (for a clip, one
    /// entry per frame; the explainer names those whose digest changed).
    static func upstreamCauses(of node: NodeID, graph: ChainGraph, regenerated: Set<NodeID> = []) -> [String] {
        graph.upstreams(of: node).map { regenerated.contains($0) ? "\($0) regenerated" : "\($0) changed" }
    }

    /// The expected price of one generation per priced model of the plan (frames and clips): the per-image price
    /// plus the per-second price times the model's mean recorded seconds in the store (0 before any).
    func expectedPrices(prepared: Prepared, pricing: Pricing) throws -> [String: Double] {
        var prices: [String: Double] = [:]
        for spec in [prepared.plan.generator] + (prepared.plan.clips.map { [$0.generator] } ?? []) {
            guard prices[spec.model] == nil, let price = pricing.models[spec.model] else { continue }
            let seconds = price.perSecond > 0 ? try store.meanSeconds(ofModel: spec.model) ?? 0 : 0
            prices[spec.model] = pricing.estimate(model: spec.model, expectedSeconds: seconds)
        }
        return prices
    }

    /// The first few nodes, in plan order, and how many more there are.
    static func list(_ nodes: [NodeID], limit: Int = 8) -> String {
        let shown = nodes.prefix(limit).map(\.description).joined(separator: ", ")
        return nodes.count > limit ? shown + " and \(nodes.count - limit) more" : shown
    }
}
