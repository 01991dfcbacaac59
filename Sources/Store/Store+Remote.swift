import Dispatch
import Synchronization

/// A generation received from a remote cache, checked by the caller: its output's bytes and its record (whose
/// ``GenerationRecord/origin`` is `remote`).
public struct ReceivedGeneration: Sendable {
    /// The output image's bytes; their digest must be the record's output.
    public let bytes: [UInt8]
    /// The generation.
    public let generation: GenerationRecord

    /// Creates a received generation.
    public init(bytes: [UInt8], generation: GenerationRecord) {
        self.bytes = bytes
        self.generation = generation
    }
}

extension Store {
    /// Stores what a remote cache delivered — generations with their outputs, other blobs (a run's plan and initial
    /// image), and optionally a run with its links — all or nothing.
    ///
    /// Every blob is staged and its digest checked before anything is published; the rows go in one transaction.
    /// A key already recorded with an intact output keeps it (a key is one generation); one whose output file is
    /// missing is repaired to the received output. When this throws, no row was written.
    ///
    /// - Parameters:
    ///   - generations: The generations and their outputs.
    ///   - blobs: Other blobs to store.
    ///   - run: A run to record (`pull`), inserted unless its id is already recorded.
    ///   - links: Links to record for `runID` (a run's hits, or the pulled run's links).
    ///   - runID: The run the links belong to.
    /// - Returns: The output each received key now has.
    /// - Throws: ``StoreError`` `integrity` when bytes do not match their digest, `io`, `database`.
    @discardableResult
    public func receive(
        _ generations: [ReceivedGeneration], blobs extra: [[UInt8]] = [], run: RunRecord? = nil,
        links: [RunLinkRecord] = [], runID: String? = nil
    ) throws(StoreError) -> [Digest: Digest] {
        // Staging is a write and an fsync per blob: done on several threads at once, the fsyncs overlap (a batch of
        // 300 small blobs stores in a fraction of the time of one after the other).
        let contents = generations.map(\.bytes) + extra
        let results = Mutex([Result<StagedBlob, StoreError>?](repeating: nil, count: contents.count))
        let blobStore = self.blobs
        DispatchQueue.concurrentPerform(iterations: min(8, contents.count)) { worker in
            for index in stride(from: worker, to: contents.count, by: min(8, contents.count)) {
                let result = Result { () throws(StoreError) in try blobStore.stage(bytes: contents[index]) }
                results.withLock { $0[index] = result }
            }
        }
        let outcomes = results.withLock { $0 }.map { $0! }
        let staged = outcomes.compactMap { try? $0.get() }
        do throws(StoreError) {
            for outcome in outcomes { _ = try outcome.get() }
            for (received, blob) in zip(generations, staged) where blob.digest != received.generation.output {
                throw StoreError(
                    code: .integrity,
                    message: "the bytes received for \(received.generation.output) hash to \(blob.digest)")
            }
            try self.blobs.publish(staged)
        } catch {
            self.blobs.discard(staged)
            throw error
        }
        let now = Timestamp.now()
        let records = staged.map {
            BlobRecord(digest: $0.digest, size: $0.size, mediaType: $0.mediaType, createdAt: now)
        }
        let blobs = self.blobs
        return try write { db in
            for record in records {
                try Self.insert(record, into: db)
                try Self.requireFile(of: record.digest, in: blobs)
            }
            var outputs: [Digest: Digest] = [:]
            for received in generations {
                let generation = received.generation
                if let recorded = try db.row("SELECT output FROM generations WHERE key = ?", generation.key)?.digest(0),
                    recorded != generation.output
                {
                    if FileSystem.exists(blobs.path(for: recorded)) {
                        outputs[generation.key] = recorded
                        continue
                    }
                    try db.execute(
                        "UPDATE generations SET output = ?, origin = ? WHERE key = ?", generation.output,
                        generation.origin, generation.key)
                } else {
                    try Self.insert(generation, into: db)
                }
                outputs[generation.key] = generation.output
            }
            if let run {
                try db.execute(
                    "INSERT OR IGNORE INTO runs (\(RunRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        run.id, run.planName, run.plan, run.planPath, run.initialReference, run.takes, run.startedAt,
                        run.finishedAt, run.status.rawValue, run.mode, run.processID,
                    ])
            }
            if let runID {
                for link in links {
                    let output = link.key.flatMap { outputs[$0] } ?? link.output
                    try Self.insert(
                        RunLinkRecord(
                            node: link.node, position: link.position, key: link.key, output: output,
                            outcome: link.outcome, reason: link.reason, error: link.error),
                        runID: runID, into: db)
                }
            }
            return outputs
        }
    }
}
