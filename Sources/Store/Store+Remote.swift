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
        let contents = generations.map(\.bytes) + extra
        // A large batch is made durable with syncfs, through a handle opened before its first write.
        let syncHandle =
            contents.count >= Self.syncfsBatchSize && BlobStore.canSyncFileSystem ? try blobs.openSyncHandle() : nil
        defer { try? syncHandle?.close() }
        let staged = try stageBatch(contents, syncingThrough: syncHandle)
        do throws(StoreError) {
            for (received, blob) in zip(generations, staged) where blob.digest != received.generation.output {
                throw StoreError(
                    code: .integrity,
                    message: "the bytes received for \(received.generation.output) hash to \(blob.digest)")
            }
            if let syncHandle {
                try blobs.publish(staged, syncDirectories: false)
                try blobs.syncFileSystem(through: syncHandle)
            } else {
                try blobs.publish(staged)
            }
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

    /// Writes a batch of blobs to staging files, durably.
    ///
    /// With a `syncHandle` (a large batch on Linux 5.8+), the files are written without an fsync each and then made
    /// durable by one `syncfs(2)` of the store's file system: 300 small blobs from a remote cost two syncs (this one
    /// and one after their renames, in `receive`) instead of 300 fsyncs plus one per shard directory. Without one
    /// (a small batch, where a whole-file-system sync could cost more than it saves when other programs have much
    /// unwritten, or a system without a reliable `syncfs`), each file is fsynced, on eight threads so that the fsyncs
    /// overlap. Either way every staged file is on stable storage before it is renamed into place.
    private func stageBatch(_ contents: [[UInt8]], syncingThrough syncHandle: FileHandle?) throws(StoreError)
        -> [StagedBlob]
    {
        let deferSync = syncHandle != nil
        let results = Mutex([Result<StagedBlob, StoreError>?](repeating: nil, count: contents.count))
        let blobStore = self.blobs
        // Without fsyncs to overlap, one thread is faster: creating files in the one staging directory takes its
        // lock, and eight threads spin on it (`perf`: a quarter of a 300-blob batch's time in rwsem_spin_on_owner).
        let workers = deferSync ? 1 : min(8, contents.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: contents.count, by: workers) {
                let result = Result { () throws(StoreError) in
                    try blobStore.stage(bytes: contents[index], sync: !deferSync)
                }
                results.withLock { $0[index] = result }
            }
        }
        let outcomes = results.withLock { $0 }.map { $0! }
        let staged = outcomes.compactMap { try? $0.get() }
        do throws(StoreError) {
            for outcome in outcomes { _ = try outcome.get() }
            if let syncHandle { try blobStore.syncFileSystem(through: syncHandle) }
        } catch {
            blobStore.discard(staged)
            throw error
        }
        return staged
    }

    /// The smallest batch that is made durable with `syncfs(2)` rather than with fsyncs.
    static let syncfsBatchSize = 16
}
