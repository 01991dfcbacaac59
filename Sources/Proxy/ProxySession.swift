import Chain
import Formats
import Store
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What an upstream call produced: images (in take order) and what the provider reported.
struct UpstreamImages: Sendable {
    var images: [[UInt8]]
    var modelVersion: String?
    var providerID: String?
    /// The provider's usage/metrics report (and, for Replicate, the output's shape), as canonical JSON text.
    var usage: String?
    var durationMilliseconds: Int
}

/// An answer to pass to the client as the upstream sent it (a 4xx/5xx, a failed prediction).
struct UpstreamReply: Sendable, Error {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
}

/// The outputs of one call, whether from the store or from upstream.
struct CallOutputs: Sendable {
    var digests: [Digest]
    var images: [[UInt8]]
    var modelVersion: String?
    var usage: String?
    var createdAt: String
    /// Whether the store answered (no upstream call was made for this client).
    var hit: Bool
}

/// A `framechain serve` session: the run it records, the in-flight table, and the cache decisions.
///
/// In `record` and `replay` mode the session is one run (plan name ``planName``, mode `proxy-record` or
/// `proxy-replay`); each answered image is one link `ref/<n>` in arrival order, so `runs`, `show`, `report`,
/// `export` and `lineage` read proxied traffic as they read plan runs. Generations keep their inputs' digests, so an
/// input that is an earlier output becomes a lineage edge.
final class ProxySession: Sendable {
    /// The plan name proxied runs are recorded under.
    static let planName = "framechain serve"

    let store: Store
    let mode: ProxyMode
    let runID: String?
    /// The shared remote cache, consulted in record mode on a local miss before upstream, and given what upstream
    /// makes.
    let remote: RemoteSession?
    private let nextLink = Mutex(0)
    private let inFlight = InFlightCalls()

    init(store: Store, mode: ProxyMode, remote: RemoteSession? = nil) throws(StoreError) {
        self.store = store
        self.mode = mode
        self.remote = mode == .record ? remote : nil
        guard mode != .passthrough else {
            runID = nil
            return
        }
        let runID = ChainRunner.makeRunID()
        let started = Timestamp.now()
        let description = JSONValue.object([
            "format": .string("framechain.proxy-session/v1"), "mode": .string(mode.rawValue),
            "started_at": .string(started),
        ])
        let planBytes = Array(CanonicalJSON.string(description).utf8)
        let plan = try store.put(bytes: planBytes)
        try store.begin(
            run: RunRecord(
                id: runID, planName: Self.planName, plan: plan.digest, planPath: nil, initialReference: nil,
                takes: "{}", startedAt: started, finishedAt: nil, status: .running, mode: "proxy-\(mode.rawValue)",
                processID: Int(getpid())),
            restoringBlobs: { () throws(StoreError) in _ = try store.put(bytes: planBytes) })
        self.runID = runID
    }

    /// Records the end of the session's run.
    func finish() {
        guard let runID else { return }
        try? store.finish(runID: runID, status: .succeeded)
    }

    /// Removes the session's run when the server never listened (its address was taken): nothing happened in it.
    func abandon() {
        guard let runID else { return }
        try? store.finish(runID: runID, status: .failed)
        try? store.deleteRuns([runID])
    }

    private func nextNode() -> (node: String, position: Int) {
        let position = nextLink.withLock { value in
            defer { value += 1 }
            return value
        }
        return ("ref/\(position + 1)", position)
    }

    /// The stored outputs of every take of `request`, or `nil` if one is missing.
    func cached(_ request: ProxyRequest) throws(StoreError) -> CallOutputs? {
        var found: [CachedOutput] = []
        for key in request.keys {
            guard let output = try store.cachedOutput(for: key) else { return nil }
            found.append(output)
        }
        var images: [[UInt8]] = []
        for output in found { images.append(try store.contents(of: output.output)) }
        let usage = try store.generation(for: request.keys[0])?.usage
        return CallOutputs(
            digests: found.map(\.output), images: images, modelVersion: found.first?.modelVersion, usage: usage,
            createdAt: found.first?.createdAt ?? Timestamp.now(), hit: true)
    }

    /// Records hit links for `outputs`.
    func recordHits(_ request: ProxyRequest, _ outputs: CallOutputs, reason: String) {
        guard let runID else { return }
        let links = zip(request.keys, outputs.digests).map { key, output in
            let (node, position) = nextNode()
            return RunLinkRecord(
                node: node, position: position, key: key, output: output, outcome: .hit, reason: reason, error: nil)
        }
        try? store.record(links: links, runID: runID)
    }

    /// Answers `request`: from the store when every take is recorded, else (in record mode) from one upstream call
    /// shared by every identical request in flight, committed to the store before anyone is answered.
    /// - Parameters:
    ///   - request: The keyed request.
    ///   - route: The endpoint, for the link's reason.
    ///   - upstream: Makes the upstream call; it runs in a task of its own, so a client that disconnects does not
    ///     cancel a paid generation.
    /// - Throws: ``ReplayMiss`` in replay mode, ``UpstreamReply`` to pass an upstream answer through.
    func answer(
        _ request: ProxyRequest, route: String,
        upstream: @escaping @Sendable () async throws(UpstreamReply) -> UpstreamImages
    ) async throws -> CallOutputs {
        if let outputs = try cached(request) {
            recordHits(request, outputs, reason: "\(route): recorded")
            return outputs
        }
        if mode == .replay { throw ReplayMiss.explain(request, in: store) }
        let (result, shared) = await inFlight.run(request.callKey) { [self] in
            await self.generate(request, route: route, upstream: upstream)
        }
        var outputs = try result.get()
        if shared {
            outputs.hit = true
            recordHits(request, outputs, reason: "\(route): shared an upstream call in flight")
        }
        return outputs
    }

    private func generate(
        _ request: ProxyRequest, route: String,
        upstream: @Sendable () async throws(UpstreamReply) -> UpstreamImages
    ) async -> Result<CallOutputs, any Error> {
        do {
            if let outputs = try await fromRemote(request, route: route) { return .success(outputs) }
        } catch {
            return .failure(error)
        }
        let made: UpstreamImages
        do { made = try await upstream() } catch { return .failure(error) }
        let outputs: CallOutputs
        do {
            outputs = try commit(request, made, route: route)
        } catch {
            return .failure(error)
        }
        await publish(request, outputs)
        return .success(outputs)
    }

    /// Every take of `request` from the remote cache, verified (``RemoteSession/fetch(_:)``) and stored with its hit
    /// links; `nil` (and nothing stored) when the remote lacks one of them, is down or has none configured.
    private func fromRemote(_ request: ProxyRequest, route: String) async throws -> CallOutputs? {
        guard let remote else { return nil }
        var received: [ReceivedGeneration] = []
        for key in request.keys {
            guard let generation = await remote.fetch(key) else { return nil }
            received.append(generation)
        }
        var links: [RunLinkRecord] = []
        if runID != nil {
            for (key, item) in zip(request.keys, received) {
                let (node, position) = nextNode()
                links.append(
                    RunLinkRecord(
                        node: node, position: position, key: key, output: item.generation.output, outcome: .hit,
                        reason: "\(route): from the remote cache", error: nil))
            }
        }
        let outputs = try store.receive(
            received, blobs: request.images.map(\.bytes), links: links, runID: runID)
        var digests: [Digest] = []
        var images: [[UInt8]] = []
        for item in received {
            let digest = outputs[item.generation.key] ?? item.generation.output
            digests.append(digest)
            images.append(digest == item.generation.output ? item.bytes : try store.contents(of: digest))
        }
        return CallOutputs(
            digests: digests, images: images, modelVersion: received.first?.generation.modelVersion,
            usage: received.first?.generation.usage, createdAt: received.first?.generation.createdAt ?? Timestamp.now(),
            hit: true)
    }

    /// Uploads what upstream made to the remote cache, after its local commit; a failure only warns.
    private func publish(_ request: ProxyRequest, _ outputs: CallOutputs) async {
        guard let remote else { return }
        for (key, (digest, bytes)) in zip(request.keys, zip(outputs.digests, outputs.images)) {
            guard let generation = try? store.generation(for: key), generation.output == digest,
                let mediaType = MediaType.sniff(bytes)
            else { continue }
            await remote.publish(generation, bytes: bytes, mediaType: mediaType)
        }
    }

    private func commit(_ request: ProxyRequest, _ made: UpstreamImages, route: String) throws -> CallOutputs {
        guard !made.images.isEmpty else {
            throw UpstreamReply.problem(502, "Bad Gateway", "the upstream answer holds no image")
        }
        let createdAt = Timestamp.now()
        for image in request.images { _ = try store.put(bytes: image.bytes) }
        var digests: [Digest] = []
        for (index, bytes) in made.images.prefix(request.requests.count).enumerated() {
            let generationRequest = request.requests[index]
            let output = SHA256.hash(data: bytes)
            let generation = GenerationRecord(
                key: generationRequest.key, request: generationRequest.canonicalText, output: output,
                backend: request.backend, model: request.model, modelVersion: made.modelVersion,
                providerID: made.providerID, usage: made.usage, createdAt: createdAt,
                durationMilliseconds: made.durationMilliseconds, inputs: generationRequest.inputs)
            let (node, position) = nextNode()
            let link = RunLinkRecord(
                node: node, position: position, key: generationRequest.key, output: output, outcome: .generated,
                reason: "\(route): not recorded", error: nil)
            if let runID {
                digests.append(
                    try store.commit(generatedBytes: bytes, generation: generation, link: link, runID: runID))
            } else {
                digests.append(output)
            }
        }
        var images: [[UInt8]] = []
        for (digest, bytes) in zip(digests, made.images) {
            images.append(digest == SHA256.hash(data: bytes) ? bytes : try store.contents(of: digest))
        }
        return CallOutputs(
            digests: digests, images: images, modelVersion: made.modelVersion, usage: made.usage,
            createdAt: createdAt, hit: false)
    }
}

/// Identical calls in flight share one upstream call.
actor InFlightCalls {
    private var tasks: [Digest: Task<Result<CallOutputs, any Error>, Never>] = [:]

    /// Runs `body` for `key` unless a call for `key` is already running, in which case its result is shared.
    func run(
        _ key: Digest, _ body: @escaping @Sendable () async -> Result<CallOutputs, any Error>
    ) async -> (Result<CallOutputs, any Error>, shared: Bool) {
        if let task = tasks[key] { return (await task.value, true) }
        let task = Task { await body() }
        tasks[key] = task
        let value = await task.value
        tasks[key] = nil
        return (value, false)
    }
}
