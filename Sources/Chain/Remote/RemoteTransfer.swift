import Store

/// `push` and `pull`: whole recorded runs — the run and its links, every generation with its action record, and
/// every blob (outputs, the plan, the initial image) — moved between a store and a remote cache.
///
/// Both are idempotent and resumable: `push` asks (`HEAD`) before it uploads and uploads the run's own record
/// last, so an interrupted push sends only what is missing next time; `pull` downloads only what the store lacks,
/// verifies all of it, and stores it in one transaction, so a pull either adds the run whole or adds nothing.
public struct RemoteTransfer: Sendable {
    /// The store.
    public let store: Store
    /// The remote.
    public let cache: any RemoteCache
    /// How many requests are in flight at once.
    public var concurrency = 8

    /// Creates a transfer.
    public init(store: Store, cache: any RemoteCache) {
        self.store = store
        self.cache = cache
    }

    /// What one push or pull moved.
    public struct Summary: Sendable, Hashable {
        /// The run.
        public var runID: String
        /// Blobs sent or received.
        public var blobsMoved = 0
        /// Blobs the other side already had.
        public var blobsPresent = 0
        /// Action records sent or received.
        public var recordsMoved = 0
        /// Action records the other side already had.
        public var recordsPresent = 0
    }

    // MARK: - Push

    /// Uploads a run: every blob and action record the remote lacks, then the run's record.
    ///
    /// - Throws: ``StoreError`` when a needed generation or blob is missing or corrupt in the store (nothing of the
    ///   run's record is sent then); ``RemoteCacheError`` when the remote fails.
    public func push(_ run: RunRecord) async throws -> Summary {
        let links = try store.links(ofRun: run.id)
        var blobs: Set<Digest> = [run.plan]
        if let initial = run.initialReference { blobs.insert(initial) }
        var records: [Digest: ActionRecord] = [:]
        for link in links where link.outcome == .hit || link.outcome == .generated {
            guard let key = link.key, let generation = try store.generation(for: key) else {
                throw StoreError(
                    code: .notFound, message: "run \(run.id): the generation of \(link.node) is not in the store")
            }
            guard let blob = try store.blob(for: generation.output), let mediaType = blob.mediaType else {
                throw StoreError(
                    code: .notFound, message: "run \(run.id): the output of \(link.node) is not in the store")
            }
            records[key] = ActionRecord(generation: generation, mediaType: mediaType, size: blob.size)
            blobs.insert(generation.output)
        }
        let store = store
        let cache = cache
        // Blobs first, then the records that name them, then the run: what the remote shows is always complete.
        let blobResults = try await concurrently(Array(blobs)) { digest throws -> Bool in
            if try await cache.containsBlob(digest) { return false }
            try await cache.putBlob(digest, bytes: try store.contents(of: digest))
            return true
        }
        let recordResults = try await concurrently(Array(records.values)) { record throws -> Bool in
            if try await cache.containsActionRecord(for: record.generation.key) { return false }
            try await cache.putActionRecord(for: record.generation.key, bytes: record.bytes)
            return true
        }
        try await cache.putActionRecord(
            for: RunDocument.key(for: run.id), bytes: RunDocument(run: run, links: links).bytes)
        return Summary(
            runID: run.id, blobsMoved: blobResults.count { $0 }, blobsPresent: blobResults.count { !$0 },
            recordsMoved: recordResults.count { $0 }, recordsPresent: recordResults.count { !$0 })
    }

    // MARK: - Pull

    /// Downloads a run the store lacks (or completes one it has): its record, the generations and blobs missing
    /// locally, every one verified; then stores them all in one transaction.
    ///
    /// - Parameter runID: The full run id (the remote cannot be searched by prefix).
    /// - Throws: ``RemoteCacheError`` `rejected` when anything does not verify (nothing is stored then),
    ///   `unavailable`; ``StoreError`` `notFound` when the remote has no such run.
    public func pull(_ runID: String) async throws -> Summary {
        guard let bytes = try await cache.actionRecord(for: RunDocument.key(for: runID)) else {
            throw StoreError(
                code: .notFound, message: "the remote cache has no run \"\(runID)\" (pull takes a full run id)")
        }
        let document = try RunDocument.decode(bytes, runID: runID)
        var summary = Summary(runID: runID)
        var wanted: [RunLinkRecord] = []
        for link in document.links where link.outcome == .hit || link.outcome == .generated {
            if let cached = try store.cachedOutput(for: link.key!), cached.output == link.output {
                summary.recordsPresent += 1
            } else if !wanted.contains(where: { $0.key == link.key }) {
                wanted.append(link)
            }
        }
        let cache = cache
        let received = try await concurrently(wanted) { link throws -> ReceivedGeneration in
            let key = link.key!
            guard let recordBytes = try await cache.actionRecord(for: key) else {
                throw RemoteCacheError(
                    .rejected, "run \(runID): the remote has no action record for \(link.node) (\(key))")
            }
            let record = try ActionRecord.decode(recordBytes, expectedKey: key)
            guard record.generation.output == link.output else {
                throw RemoteCacheError(
                    .rejected,
                    "run \(runID): the remote's record for \(link.node) names output \(record.generation.output), "
                        + "the run names \(link.output!)")
            }
            return try await Self.verifiedBlob(
                record.generation.output, from: cache, what: "the output of \(link.node)"
            )
            .map { ReceivedGeneration(bytes: $0, generation: record.generation) }!
        }
        var extra: [Digest] = [document.run.plan]
        if let initial = document.run.initialReference { extra.append(initial) }
        extra = try extra.filter { try !store.contains($0) }
        let blobs = try await concurrently(extra) { digest throws -> [UInt8] in
            try await Self.verifiedBlob(digest, from: cache, what: "a blob of run \(runID)")!
        }
        summary.recordsMoved = received.count
        summary.blobsMoved = received.count + blobs.count
        summary.blobsPresent = summary.recordsPresent + (document.run.initialReference == nil ? 1 : 2) - blobs.count
        try store.receive(received, blobs: blobs, run: document.run, links: document.links, runID: runID)
        return summary
    }

    /// Downloads a blob and checks its SHA-256.
    ///
    /// - Throws: ``RemoteCacheError`` `rejected` when the remote lacks it or its bytes do not match.
    static func verifiedBlob(_ digest: Digest, from cache: any RemoteCache, what: String) async throws -> [UInt8]? {
        guard let bytes = try await cache.blob(digest) else {
            throw RemoteCacheError(.rejected, "the remote has no blob \(digest) (\(what))")
        }
        let actual = SHA256.hash(data: bytes)
        guard actual == digest else {
            throw RemoteCacheError(
                .rejected, "the remote's blob \(digest) (\(what)) was rejected: its bytes hash to \(actual)")
        }
        return bytes
    }

    /// Downloads the blobs of `digests` the store lacks, verified, and stores them (`replay --remote`).
    ///
    /// - Returns: How many were fetched.
    public func fetchMissingBlobs(_ digests: [Digest]) async throws -> Int {
        let missing = try Array(Set(digests)).filter { try !store.isIntactOrAbsent($0) }
        let cache = cache
        let blobs = try await concurrently(missing) { digest throws -> [UInt8]? in
            guard let bytes = try await cache.blob(digest) else { return nil }
            guard SHA256.hash(data: bytes) == digest else {
                throw RemoteCacheError(.rejected, "the remote's blob \(digest) was rejected: its bytes do not match it")
            }
            return bytes
        }.compactMap { $0 }
        try store.receive([], blobs: blobs)
        return blobs.count
    }

    /// Runs `body` on every item with at most ``concurrency`` at once; results in the items' order.
    private func concurrently<Item: Sendable, Result: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            while next < min(concurrency, items.count) {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, try await body(items[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}

extension Store {
    /// `false` when the blob's row or file is missing or its bytes are corrupt (so it should be fetched).
    fileprivate func isIntactOrAbsent(_ digest: Digest) throws -> Bool {
        do { return try isIntact(digest) } catch StoreError.integrity { return false }
    }
}
