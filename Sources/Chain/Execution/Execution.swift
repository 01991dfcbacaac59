import Formats
import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state of one run while it executes: a ready queue of decided upstreams, cache hits resolved at once,
/// and up to `jobs` generations in flight.
struct Execution {
    let runner: ChainRunner
    let prepared: ChainRunner.Prepared
    let runID: String
    let explainer: LinkExplainer
    let jobs: Int
    let progress: (@Sendable (RunProgress) -> Void)?

    /// `--budget`, and the expected price per model, when the run has a budget.
    var budget: Double?
    var prices: [String: Double] = [:]
    /// Spent so far plus what the generations in flight are expected to cost.
    private var committed: Double = 0
    private var reserved: [NodeID: Double] = [:]
    /// Links not started because the budget would be exceeded.
    private var overBudget = 0

    var links: [NodeID: RunLink] = [:]
    /// Downloads of remote outputs, started as soon as their action records arrive, so that they overlap the
    /// walk of the chains through the records (``startDownload(of:)``); awaited by ``receiveRemoteOutputs``.
    var downloads: [Digest: Task<ReceivedGeneration?, Never>] = [:]
    /// Eight downloads at once, the others queued.
    let downloadSlots = TransferSlots(limit: 8)
    private var regenerated: Set<NodeID> = []
    var counts = RunProgress(done: 0, total: 0, hits: 0, generating: 0, generated: 0, failed: 0)

    init(
        runner: ChainRunner, prepared: ChainRunner.Prepared, runID: String, explainer: LinkExplainer,
        jobs: Int, progress: (@Sendable (RunProgress) -> Void)?
    ) {
        self.runner = runner
        self.prepared = prepared
        self.runID = runID
        self.explainer = explainer
        self.jobs = jobs
        self.progress = progress
        counts.total = prepared.graph.nodes.count
    }

    /// What a generation task reports back.
    enum Completion: Sendable {
        /// Generated and committed, with its recorded cost (when the plan prices its model).
        case generated(NodeID, RunLink, cost: Double?)
        /// Another process held the key's lease and committed it meanwhile: a cache hit after all.
        case reused(NodeID, GenerationRequest, CachedOutput)
        case failed(NodeID, RunLink, request: String)
        case cancelled(NodeID)
        /// The store failed while committing: the run cannot go on.
        case storeFailed(NodeID, StoreError)
    }

    struct PendingGeneration: Sendable {
        let node: NodeID
        let request: GenerationRequest
        let reason: String
    }

    func finalLinks() -> [RunLink] {
        prepared.graph.nodes.compactMap { links[$0] }
    }

    var store: Store { runner.store }

    // MARK: - Scheduling

    mutating func execute() async throws -> RunStatus {
        // Downloads not yet awaited when the run stops on an error are cancelled, not left running.
        defer { for download in downloads.values { download.cancel() } }
        var ready: [NodeID] = [NodeID(role: .reference, scene: 1)]
        var waiting: [PendingGeneration] = []
        // Every key queued or in flight, with the other nodes of this run that have the same request: they are
        // the same generation (SPEC §3), so they wait for it instead of paying for it again.
        var followers: [Digest: [PendingGeneration]] = [:]
        var inFlight = 0
        var interrupted = false
        let store = store
        let runID = runID
        let redactor = SecretRedactor()
        let remote = runner.remote

        try await withThrowingTaskGroup(of: Completion.self) { group in
            while true {
                if !interrupted && Task.isCancelled { interrupted = true }
                if !interrupted {
                    // Decide every ready node: hits are recorded in one batch before anything that depends on
                    // them starts; misses wait for a free job.
                    var hits: [RunLinkRecord] = []
                    var fetching: [(PendingGeneration, ActionRecord)] = []
                    while !ready.isEmpty {
                        var misses: [PendingGeneration] = []
                        // With nothing in flight nothing else writes meanwhile, so the lookups share one read
                        // transaction (one shared-memory lock instead of one per lookup: a warm run of 30,000 links).
                        try inSnapshot(when: inFlight == 0) {
                            while !ready.isEmpty {
                                let node = ready.removeFirst()
                                let (request, cached, reason) = try decide(node)
                                if let cached {
                                    hits.append(
                                        recordHit(
                                            node, request: request, output: cached.output, mediaType: cached.mediaType))
                                    release(after: node, into: &ready)
                                } else if followers[request.key] != nil {
                                    followers[request.key]!.append(
                                        PendingGeneration(node: node, request: request, reason: reason))
                                } else {
                                    misses.append(PendingGeneration(node: node, request: request, reason: reason))
                                }
                            }
                        }
                        // Local misses are looked up on the remote cache, all at once, before any generator call.
                        // A checked action record names the output, so the links after it are decided at once;
                        // the outputs are downloaded together below.
                        let records = await lookUpRemotely(misses)
                        for pending in misses {
                            if let record = records[pending.request.key] {
                                links[pending.node] = RunLink(
                                    node: pending.node, key: pending.request.key, output: record.generation.output,
                                    outcome: .hit, reason: nil, error: nil, prompt: pending.request.prompt,
                                    mediaType: record.mediaType, fetched: true)
                                fetching.append((pending, record))
                                startDownload(of: record)
                                release(after: pending.node, into: &ready)
                            } else if followers[pending.request.key] != nil {
                                followers[pending.request.key]!.append(pending)
                            } else {
                                followers[pending.request.key] = []
                                waiting.append(pending)
                            }
                        }
                    }
                    if !fetching.isEmpty {
                        // Local hits decided from a remote output that did not come are decided again later.
                        let forgotten = try await receiveRemoteOutputs(fetching, waiting: &waiting, followers: &followers)
                        let dropped = hits.count { forgotten.contains(NodeID(parsing: $0.node)!) }
                        hits.removeAll { forgotten.contains(NodeID(parsing: $0.node)!) }
                        counts.hits -= dropped
                        counts.done -= dropped
                    }
                    try store.record(links: hits, runID: runID)
                    if !hits.isEmpty || !fetching.isEmpty { report() }
                    while inFlight < jobs, !waiting.isEmpty {
                        let pending = waiting.removeFirst()
                        // A priced link starts only while the spent amount (plus what the generations in flight are
                        // expected to cost) and its own expected price stay within the budget.
                        if let budget, let price = prices[prepared.generatorSpec(for: pending.node).model] {
                            guard committed + price <= budget + ChainRunner.budgetTolerance else {
                                try stopForBudget(
                                    pending, price: price, budget: budget,
                                    followers: followers.removeValue(forKey: pending.request.key) ?? [])
                                continue
                            }
                            committed += price
                            reserved[pending.node] = price
                        }
                        let inputs: [GeneratorInput]
                        do {
                            inputs = try inputImages(for: pending.request)
                        } catch let error as StoreError where error.code == .integrity || error.code == .notFound {
                            // A damaged input fails this link only; moving the bad file aside lets the next run
                            // regenerate the upstream image ("output missing") instead of failing forever.
                            for digest in pending.request.inputs { try? store.quarantine(digest) }
                            let link = RunLink(
                                node: pending.node, key: pending.request.key, output: nil, outcome: .failed,
                                reason: pending.reason,
                                error: "\(error.message); it was moved aside, and the next run regenerates it",
                                prompt: pending.request.prompt, mediaType: nil)
                            try fail(link, followers: followers.removeValue(forKey: pending.request.key) ?? [])
                            continue
                        }
                        inFlight += 1
                        counts.generating += 1
                        let position = prepared.graph.position(of: pending.node)
                        let generator =
                            pending.node.role == .clip ? runner.clipGenerator ?? runner.generator : runner.generator
                        let options = prepared.generatorSpec(for: pending.node).options
                        let pricing = prepared.plan.pricing
                        group.addTask {
                            await Self.generate(
                                pending, inputs: inputs, position: position, options: options, generator: generator,
                                pricing: pricing, store: store, runID: runID, redactor: redactor, remote: remote)
                        }
                    }
                    if inFlight > 0 { report() }
                }
                guard inFlight > 0, let completion = try await group.next() else { break }
                inFlight -= 1
                counts.generating -= 1
                switch completion {
                case .generated(let node, let link, let cost):
                    if let price = reserved.removeValue(forKey: node) { committed += (cost ?? price) - price }
                    links[node] = link
                    regenerated.insert(node)
                    counts.generated += 1
                    counts.done += 1
                    var hits: [RunLinkRecord] = []
                    for follower in followers.removeValue(forKey: link.key!) ?? [] {
                        hits.append(
                            recordHit(
                                follower.node, request: follower.request, output: link.output!,
                                mediaType: link.mediaType))
                        if !interrupted { release(after: follower.node, into: &ready) }
                    }
                    try store.record(links: hits, runID: runID)
                    if !interrupted { release(after: node, into: &ready) }
                case .reused(let node, let request, let cached):
                    var hits = [recordHit(node, request: request, output: cached.output, mediaType: cached.mediaType)]
                    for follower in followers.removeValue(forKey: request.key) ?? [] {
                        hits.append(
                            recordHit(
                                follower.node, request: follower.request, output: cached.output,
                                mediaType: cached.mediaType))
                        if !interrupted { release(after: follower.node, into: &ready) }
                    }
                    try store.record(links: hits, runID: runID)
                    if !interrupted { release(after: node, into: &ready) }
                case .failed(let node, let link, let request):
                    precondition(node == link.node)
                    if let price = reserved.removeValue(forKey: node) { committed -= price }
                    try? store.recordAttempt(key: link.key!, request: request)
                    try fail(link, followers: followers.removeValue(forKey: link.key!) ?? [])
                case .cancelled:
                    interrupted = true
                case .storeFailed(_, let error):
                    throw error
                }
                if Task.isCancelled { interrupted = true }
                report()
            }
        }
        if interrupted || Task.isCancelled {
            try recordUnfinished(reason: "interrupted")
            return .interrupted
        }
        return counts.failed > 0 || overBudget > 0 ? .failed : .succeeded
    }

    /// Skips a paid link (and the links waiting on the same request) that would take the run over its budget, and
    /// everything downstream of them.
    private mutating func stopForBudget(
        _ pending: PendingGeneration, price: Double, budget: Double, followers: [PendingGeneration]
    ) throws {
        let reason =
            "over budget: \(CostEstimate.format(committed)) of --budget \(CostEstimate.format(budget)) is spent or "
            + "committed, and this link would cost \(CostEstimate.format(price))"
        var records: [RunLinkRecord] = []
        for skipped in [pending] + followers {
            let link = RunLink(
                node: skipped.node, key: skipped.request.key, output: nil, outcome: .skipped, reason: reason,
                error: nil, prompt: skipped.request.prompt, mediaType: nil)
            links[skipped.node] = link
            records.append(record(link))
            overBudget += 1
            counts.done += 1
        }
        try store.record(links: records, runID: runID)
        for skipped in [pending] + followers {
            try skipDownstream(of: skipped.node, reason: "upstream \(skipped.node) was over budget")
        }
    }

    /// Runs `body` in one read transaction of the store when `condition` holds, else as it is.
    private func inSnapshot(when condition: Bool, _ body: () throws -> Void) throws {
        if condition { try store.readingSnapshot(body) } else { try body() }
    }

    /// Appends to `ready` the dependents of `node` whose every input now exists: a frame's next link at once, a clip
    /// when the second of its two frames is done.
    private func release(after node: NodeID, into ready: inout [NodeID]) {
        for next in prepared.graph.downstream(of: node) where links[next] == nil {
            let upstreams = prepared.graph.upstreams(of: next)
            if upstreams.allSatisfy({ links[$0]?.output != nil }) { ready.append(next) }
        }
    }

    /// Records every node without a link as skipped (after an interrupt, or when the run is aborted).
    mutating func recordUnfinished(reason: String) throws {
        let unfinished = prepared.graph.nodes.filter { links[$0] == nil }
        for node in unfinished {
            links[node] = RunLink(
                node: node, key: nil, output: nil, outcome: .skipped, reason: reason, error: nil,
                prompt: prepared.prompts[node]!, mediaType: nil)
        }
        try store.record(links: unfinished.map { record(links[$0]!) }, runID: runID)
    }

    /// Records a cache hit (not yet written: the caller batches them) and counts it.
    private mutating func recordHit(
        _ node: NodeID, request: GenerationRequest, output: Digest, mediaType: MediaType?
    ) -> RunLinkRecord {
        let link = RunLink(
            node: node, key: request.key, output: output, outcome: .hit, reason: nil, error: nil,
            prompt: request.prompt, mediaType: mediaType)
        links[node] = link
        counts.hits += 1
        counts.done += 1
        return record(link)
    }

    /// Records a failed link (and the links waiting on the same request) and skips everything downstream.
    private mutating func fail(_ failed: RunLink, followers: [PendingGeneration]) throws {
        var records = [record(failed)]
        links[failed.node] = failed
        counts.failed += 1
        counts.done += 1
        for follower in followers {
            let link = RunLink(
                node: follower.node, key: follower.request.key, output: nil, outcome: .failed, reason: follower.reason,
                error: "same request as \(failed.node), which failed: \(failed.error ?? "")",
                prompt: follower.request.prompt, mediaType: nil)
            links[follower.node] = link
            records.append(record(link))
            counts.failed += 1
            counts.done += 1
        }
        try store.record(links: records, runID: runID)
        for node in [failed.node] + followers.map(\.node) {
            try skipDownstream(of: node, reason: "upstream \(node) failed")
        }
    }

    /// The node's request, its cached generation if any, and otherwise the reason to generate it.
    private func decide(_ node: NodeID) throws -> (GenerationRequest, CachedOutput?, String) {
        let upstreams = prepared.graph.upstreams(of: node)
        let inputs: [Digest]
        let causes: [String]
        if !upstreams.isEmpty {
            inputs = upstreams.map { links[$0]!.output! }
            causes = ChainRunner.upstreamCauses(of: node, graph: prepared.graph, regenerated: regenerated)
        } else {
            inputs = prepared.initialReference.map { [$0] } ?? []
            causes = [prepared.initialCause]
        }
        let request = prepared.request(for: node, inputs: inputs)
        if let cached = try store.cachedOutput(for: request.key) { return (request, cached, "") }
        return (request, nil, explainer.reason(for: node, request: request, key: request.key, upstreamCauses: causes))
    }

    /// Reads the request's input images from the store, verified against their digests.
    private func inputImages(for request: GenerationRequest) throws -> [GeneratorInput] {
        try request.inputs.map { digest in
            let bytes = try store.contents(of: digest)
            guard let mediaType = MediaType.sniff(bytes) else {
                throw StoreError(code: .integrity, message: "input \(digest) is not an image")
            }
            return GeneratorInput(digest: digest, mediaType: mediaType, bytes: bytes)
        }
    }

    private mutating func skipDownstream(of node: NodeID, reason: String) throws {
        var skipped: [RunLinkRecord] = []
        var queue = prepared.graph.downstream(of: node)
        while !queue.isEmpty {
            let next = queue.removeFirst()
            // A clip is downstream of two frames: the first failure skips it, the second finds it decided.
            guard links[next] == nil else { continue }
            let link = RunLink(
                node: next, key: nil, output: nil, outcome: .skipped, reason: reason, error: nil,
                prompt: prepared.prompts[next]!, mediaType: nil)
            links[next] = link
            skipped.append(record(link))
            counts.done += 1
            queue += prepared.graph.downstream(of: next)
        }
        try store.record(links: skipped, runID: runID)
    }

    private func record(_ link: RunLink) -> RunLinkRecord {
        RunLinkRecord(
            node: link.node.description, position: prepared.graph.position(of: link.node), key: link.key,
            output: link.output, outcome: link.outcome, reason: link.reason, error: link.error)
    }

    private func report() {
        progress?(counts)
    }
}
