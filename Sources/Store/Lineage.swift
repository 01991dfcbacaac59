#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A row of `generations` with its input edges: one generation per key.
public struct GenerationRecord: Sendable, Hashable {
    /// The key: SHA-256 of ``request``.
    public let key: Digest
    /// The exact RFC 8785 request text that was hashed into ``key``.
    public let request: String
    /// The digest of the generated image.
    public let output: Digest
    /// The backend that generated it.
    public let backend: String
    /// The model named in the request.
    public let model: String
    /// The provider's resolved model version, when reported.
    public let modelVersion: String?
    /// The provider's id for the generation, when reported.
    public let providerID: String?
    /// The provider's usage or cost report, as JSON text.
    public let usage: String?
    /// When it was generated (RFC 3339, UTC).
    public let createdAt: String
    /// How long the generator took, in milliseconds.
    public let durationMilliseconds: Int
    /// The input digests, in request order.
    public let inputs: [Digest]
    /// Where it came from: `nil` when generated here (or imported from a bundle), ``remoteOrigin`` when fetched
    /// from a remote cache.
    public let origin: String?

    /// The ``origin`` of a generation fetched from a remote cache.
    public static let remoteOrigin = "remote"

    /// What it cost, in the unit of the plan's `pricing` table, when the plan priced its model.
    public let cost: Double?
    /// How ``cost`` was computed, e.g. `per_image 0.04` or `predict_time 3.2 s × 0.0014/s`.
    public let costBasis: String?

    /// Creates a record.
    public init(
        key: Digest, request: String, output: Digest, backend: String, model: String, modelVersion: String? = nil,
        providerID: String? = nil, usage: String? = nil, createdAt: String, durationMilliseconds: Int, inputs: [Digest],
        origin: String? = nil, cost: Double? = nil, costBasis: String? = nil
    ) {
        self.cost = cost
        self.costBasis = costBasis
        self.key = key
        self.request = request
        self.output = output
        self.backend = backend
        self.model = model
        self.modelVersion = modelVersion
        self.providerID = providerID
        self.usage = usage
        self.createdAt = createdAt
        self.durationMilliseconds = durationMilliseconds
        self.inputs = inputs
        self.origin = origin
    }
}

/// How a run ended (or that it is still running).
public enum RunStatus: String, Sendable, Hashable, CaseIterable {
    /// Still running (or killed before it could record its end; see ``RunRecord/effectiveStatus``).
    case running
    /// Every link is a hit or was generated.
    case succeeded
    /// Some links failed after retries; everything else finished.
    case failed
    /// Stopped by SIGINT or SIGTERM (or found dead); finished links are kept.
    case interrupted
}

/// What a run did for one node.
public enum LinkOutcome: String, Sendable, Hashable, CaseIterable {
    /// The generation was already in the store.
    case hit
    /// The generator was called and succeeded.
    case generated
    /// The generator failed (after retries).
    case failed
    /// Not attempted because an upstream link failed or the run was interrupted.
    case skipped
}

/// A row of `runs`: one invocation of `framechain run`.
public struct RunRecord: Sendable, Hashable {
    /// The run id, e.g. `20261125-174346-3fa9c1`.
    public let id: String
    /// The plan's `name`.
    public let planName: String
    /// The digest of the plan file, stored as a blob.
    public let plan: Digest
    /// The plan file's path as given on the command line (informational).
    public let planPath: String?
    /// The digest of the initial reference image, stored as a blob.
    public let initialReference: Digest?
    /// The `--take` overrides as canonical JSON text (`{"start/2":3}`).
    public let takes: String
    /// When it started (RFC 3339, UTC).
    public let startedAt: String
    /// When it finished, if it did.
    public let finishedAt: String?
    /// Its status as recorded.
    public let status: RunStatus
    /// `generate` (a normal run), `offline` (`run --offline`) or `import` (from a bundle).
    public let mode: String
    /// The process that ran it.
    public let processID: Int?

    /// Creates a record.
    public init(
        id: String, planName: String, plan: Digest, planPath: String?, initialReference: Digest?, takes: String,
        startedAt: String, finishedAt: String?, status: RunStatus, mode: String, processID: Int?
    ) {
        self.id = id
        self.planName = planName
        self.plan = plan
        self.planPath = planPath
        self.initialReference = initialReference
        self.takes = takes
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.mode = mode
        self.processID = processID
    }

    /// The status to show: a `running` run whose process is gone was interrupted without recording it
    /// (killed, or the machine went down).
    public var effectiveStatus: RunStatus {
        guard status == .running, let processID else { return status }
        if processID == Int(getpid()) { return status }
        return kill(pid_t(processID), 0) == 0 || errno == EPERM ? .running : .interrupted
    }

    static let columns =
        "id, plan_name, plan, plan_path, initial_reference, takes, started_at, finished_at, status, mode, pid"

    init(row: Row) {
        self.init(
            id: row.string(0)!, planName: row.string(1) ?? "", plan: row.digest(2)!, planPath: row.string(3),
            initialReference: row.digest(4), takes: row.string(5) ?? "{}", startedAt: row.string(6) ?? "",
            finishedAt: row.string(7), status: RunStatus(rawValue: row.string(8) ?? "") ?? .failed,
            mode: row.string(9) ?? "generate", processID: row.int(10))
    }
}

/// A row of `run_links`: what one run did for one node.
public struct RunLinkRecord: Sendable, Hashable {
    /// The node id, e.g. `start/2`.
    public let node: String
    /// The node's place in the plan's order (ref/1, start/1, end/1, ref/2, …), from 0.
    public let position: Int
    /// The link's key, or `nil` when it was skipped before its key was known.
    public let key: Digest?
    /// The output digest, for hits and generated links.
    public let output: Digest?
    /// What happened.
    public let outcome: LinkOutcome
    /// Why it was generated or skipped (`prompt changed`, `reference changed (start/2 regenerated)`, …).
    public let reason: String?
    /// The failure message, for failed links.
    public let error: String?

    /// Creates a record.
    public init(
        node: String, position: Int, key: Digest?, output: Digest?, outcome: LinkOutcome, reason: String?,
        error: String?
    ) {
        self.node = node
        self.position = position
        self.key = key
        self.output = output
        self.outcome = outcome
        self.reason = reason
        self.error = error
    }

    static let columns = "node, position, key, output, outcome, reason, error"

    init(row: Row) {
        self.init(
            node: row.string(0)!, position: row.int(1) ?? 0, key: row.digest(2), output: row.digest(3),
            outcome: LinkOutcome(rawValue: row.string(4) ?? "") ?? .failed, reason: row.string(5), error: row.string(6))
    }
}

/// A stored generation's output, as a cache hit needs it (see ``Store/cachedOutput(for:)``).
public struct CachedOutput: Sendable, Hashable {
    /// The output image's digest.
    public let output: Digest
    /// The output's media type.
    public let mediaType: MediaType?
    /// The provider's resolved model version, when reported.
    public let modelVersion: String?
    /// When the generation was made (RFC 3339, UTC).
    public let createdAt: String
    /// Where the generation came from (``GenerationRecord/origin``): `nil` when made here, `remote` when fetched.
    public let origin: String?
}

/// The latest recorded attempt at a node, across the runs of one plan name.
public struct PreviousLink: Sendable, Hashable {
    /// The run that recorded it.
    public let runID: String
    /// The key it had.
    public let key: Digest
    /// What happened then.
    public let outcome: LinkOutcome
}

// MARK: - Generations

extension Store {
    /// The generation stored under `key`, with its inputs, or `nil`.
    public func generation(for key: Digest) throws(StoreError) -> GenerationRecord? {
        try read { db in try Self.generation(for: key, in: db) }
    }

    static func generation(for key: Digest, in db: Database) throws -> GenerationRecord? {
        guard
            let row = try db.row(
                """
                SELECT key, request, output, backend, model, model_version, provider_id, usage, created_at, duration_ms,
                    origin, cost, cost_basis
                FROM generations WHERE key = ?
                """, key)
        else { return nil }
        let inputs = try db.rows("SELECT digest FROM generation_inputs WHERE key = ? ORDER BY position", key)
            .compactMap { $0.digest(0) }
        return GenerationRecord(
            key: row.digest(0)!, request: row.string(1) ?? "", output: row.digest(2)!, backend: row.string(3) ?? "",
            model: row.string(4) ?? "", modelVersion: row.string(5), providerID: row.string(6), usage: row.string(7),
            createdAt: row.string(8) ?? "", durationMilliseconds: row.int(9) ?? 0, inputs: inputs,
            origin: row.string(10), cost: row.double(11), costBasis: row.string(12))
    }

    /// The generations whose output is `digest` (usually one; several requests can produce the same bytes).
    public func generations(producing digest: Digest) throws(StoreError) -> [GenerationRecord] {
        try read { db in
            try db.rows("SELECT key FROM generations WHERE output = ? ORDER BY created_at, key", digest)
                .compactMap { try Self.generation(for: $0.digest(0)!, in: db) }
        }
    }

    /// The request text recorded for `key`: from its generation, or from a failed attempt.
    public func requestText(for key: Digest) throws(StoreError) -> String? {
        try read { db in
            if let row = try db.row("SELECT request FROM generations WHERE key = ?", key) { return row.string(0) }
            return try db.row("SELECT request FROM requests WHERE key = ?", key)?.string(0)
        }
    }

    /// Stores a generated image and its generation, and records the run's link, in one transaction.
    ///
    /// The image file is written and fsynced before the transaction, so no row ever points at a missing or
    /// partial blob; when this returns, the link is durable and its dependents may start.
    ///
    /// A key is one generation. When the key is already recorded (another link of the run, or another process,
    /// generated the same request meanwhile) and its output blob is intact, that output is kept and the link
    /// records it: a nondeterministic model must not split one key into two outputs. When the recorded output's
    /// blob is missing or corrupt, the generation is repaired to point at the new image.
    /// - Parameters:
    ///   - bytes: The image bytes.
    ///   - generation: The generation (its `output` must be the digest of `bytes`).
    ///   - link: The run's link to record with it.
    ///   - runID: The run.
    /// - Returns: The output the key now has (the new image's digest, or the one already recorded).
    @discardableResult
    public func commit(
        generatedBytes bytes: [UInt8], generation: GenerationRecord, link: RunLinkRecord, runID: String
    ) throws(StoreError) -> Digest {
        try commit(staged: try blobs.stage(bytes: bytes), generation: generation, link: link, runID: runID)
    }

    /// Stores a generated file (a clip of any size: it is streamed and hashed while copied, never held in memory)
    /// and its generation, and records the run's link, as ``commit(generatedBytes:generation:link:runID:)`` does.
    ///
    /// - Parameters:
    ///   - path: The generated file; it is copied, not moved, and left for the caller to remove.
    ///   - runID: The run.
    ///   - describe: Given the file's digest (known once it is staged), the generation and the link to record.
    /// - Returns: The file's digest, and the output the key now has (that digest, or the one already recorded).
    public func commit(
        generatedFileAt path: String, runID: String,
        describe: (Digest) -> (generation: GenerationRecord, link: RunLinkRecord)
    ) throws(StoreError) -> (digest: Digest, output: Digest) {
        let staged = try blobs.stage(fileAt: path)
        let (generation, link) = describe(staged.digest)
        return (staged.digest, try commit(staged: staged, generation: generation, link: link, runID: runID))
    }

    /// Stores a generated file and its generation outside any run (a product derived from a run's outputs, such as
    /// `export-video`'s joined video), with the same guarantees as the other commits.
    ///
    /// - Parameters:
    ///   - path: The generated file; copied (streamed and hashed), left for the caller to remove.
    ///   - describe: Given the file's digest, the generation to record.
    /// - Returns: The file's digest, and the output the key now has.
    public func commit(
        generatedFileAt path: String, describe: (Digest) -> GenerationRecord
    ) throws(StoreError) -> (digest: Digest, output: Digest) {
        let staged = try blobs.stage(fileAt: path)
        return (staged.digest, try commit(staged: staged, generation: describe(staged.digest), link: nil, runID: nil))
    }

    private func commit(
        staged: StagedBlob, generation: GenerationRecord, link: RunLinkRecord?, runID: String?
    ) throws(StoreError) -> Digest {
        guard staged.digest == generation.output else {
            blobs.discard([staged])
            throw StoreError(code: .integrity, message: "generated bytes do not match \(generation.output)")
        }
        do { try blobs.publish([staged]) } catch {
            blobs.discard([staged])
            throw error
        }
        let blob = BlobRecord(
            digest: staged.digest, size: staged.size, mediaType: staged.mediaType, createdAt: generation.createdAt)
        do {
            return try commitRows(blob: blob, generation: generation, link: link, runID: runID)
        } catch {
            // Nothing was recorded (a full disk, say): take the published file back out, leaving the store as it was.
            removeUnrecorded([blob.digest])
            throw error
        }
    }

    private func commitRows(blob: BlobRecord, generation: GenerationRecord, link: RunLinkRecord?, runID: String?)
        throws(StoreError) -> Digest
    {
        let blobs = self.blobs
        return try write { db in
            try Self.insert(blob, into: db)
            try Self.requireFile(of: blob.digest, in: blobs)
            var output = generation.output
            if let recorded = try db.row("SELECT output FROM generations WHERE key = ?", generation.key)?.digest(0) {
                if recorded != output {
                    if (try? blobs.contents(of: recorded)) != nil {
                        output = recorded
                    } else {
                        try db.execute(
                            """
                            UPDATE generations SET output = ?, model_version = ?, provider_id = ?, usage = ?,
                                created_at = ?, duration_ms = ?, cost = ?, cost_basis = ?
                            WHERE key = ?
                            """,
                            arguments: [
                                generation.output, generation.modelVersion, generation.providerID, generation.usage,
                                generation.createdAt, generation.durationMilliseconds, generation.cost,
                                generation.costBasis, generation.key,
                            ])
                    }
                }
            } else {
                try Self.insert(generation, into: db)
            }
            if let link, let runID {
                try Self.insert(
                    RunLinkRecord(
                        node: link.node, position: link.position, key: link.key, output: output,
                        outcome: link.outcome, reason: link.reason, error: link.error),
                    runID: runID, into: db)
            }
            try Self.deleteLease(on: generation.key, in: db)
            return output
        }
    }

    /// Moves a corrupt blob's file aside (into `tmp/`), so that it counts as missing and is regenerated.
    public func quarantine(_ digest: Digest) throws(StoreError) {
        try blobs.quarantine(digest)
    }

    /// Records a generation row and its input edges (a no-op if the key is already recorded).
    static func insert(_ generation: GenerationRecord, into db: Database) throws {
        try db.execute(
            """
            INSERT OR IGNORE INTO generations
                (key, request, output, backend, model, model_version, provider_id, usage, created_at, duration_ms,
                 origin, cost, cost_basis)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                generation.key, generation.request, generation.output, generation.backend, generation.model,
                generation.modelVersion, generation.providerID, generation.usage, generation.createdAt,
                generation.durationMilliseconds, generation.origin, generation.cost, generation.costBasis,
            ])
        guard db.changes > 0 else { return }
        for (position, input) in generation.inputs.enumerated() {
            try db.execute(
                "INSERT INTO generation_inputs (key, position, digest) VALUES (?, ?, ?)", generation.key, position,
                input)
        }
    }

    /// Records a failed attempt's request text, so a later run can explain what changed since.
    public func recordAttempt(key: Digest, request: String) throws(StoreError) {
        try write { db in
            try db.execute("INSERT OR IGNORE INTO requests (key, request) VALUES (?, ?)", key, request)
        }
    }
}
