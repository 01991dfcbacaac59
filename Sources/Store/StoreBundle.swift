#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A single-file bundle of one run: a SQLite database holding the run, its plan, lineage and every blob's bytes
/// (docs/AUDIT.md describes the format, `framechain.bundle/v1`).
public enum StoreBundle {
    /// The format written in `bundle_meta`.
    public static let format = "framechain.bundle/v1"

    /// What an export wrote.
    public struct ExportSummary: Sendable {
        /// The exported run.
        public let runID: String
        /// How many blobs were written.
        public let blobs: Int
        /// The blobs' total size in bytes.
        public let bytes: Int
        /// Generations written (the run's and their ancestors').
        public let generations: Int
    }

    /// What an import did.
    public struct ImportSummary: Sendable {
        /// The runs in the bundle.
        public let runIDs: [String]
        /// How many blobs were added to the store.
        public let blobsAdded: Int
        /// How many of the bundle's blobs the store already had.
        public let blobsPresent: Int
        /// Generations in the bundle.
        public let generations: Int
        /// Runs the store already had with identical content: left as they were.
        public var unchanged: [String] = []
        /// Runs the store already had with other content, imported under a new id (`--rename`): old id → new id.
        public var renamed: [String: String] = [:]
    }

    static let schema = """
        CREATE TABLE bundle_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE blobs (digest TEXT PRIMARY KEY NOT NULL, size INTEGER NOT NULL, media_type TEXT,
                            created_at TEXT NOT NULL);
        CREATE TABLE blob_data (digest TEXT PRIMARY KEY NOT NULL, bytes BLOB NOT NULL);
        CREATE TABLE generations (key TEXT PRIMARY KEY NOT NULL, request TEXT NOT NULL, output TEXT NOT NULL,
                                  backend TEXT NOT NULL, model TEXT NOT NULL, model_version TEXT, provider_id TEXT,
                                  usage TEXT, created_at TEXT NOT NULL, duration_ms INTEGER NOT NULL,
                                  cost REAL, cost_basis TEXT);
        CREATE TABLE generation_inputs (key TEXT NOT NULL, position INTEGER NOT NULL, digest TEXT NOT NULL,
                                        PRIMARY KEY (key, position));
        CREATE TABLE requests (key TEXT PRIMARY KEY NOT NULL, request TEXT NOT NULL);
        CREATE TABLE runs (id TEXT PRIMARY KEY NOT NULL, plan_name TEXT NOT NULL, plan TEXT NOT NULL, plan_path TEXT,
                           initial_reference TEXT, takes TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
                           status TEXT NOT NULL, mode TEXT NOT NULL, pid INTEGER);
        CREATE TABLE run_links (run_id TEXT NOT NULL, node TEXT NOT NULL, position INTEGER NOT NULL, key TEXT,
                                output TEXT, outcome TEXT NOT NULL, reason TEXT, error TEXT,
                                PRIMARY KEY (run_id, node));
        """

    static let generationColumns =
        "key, request, output, backend, model, model_version, provider_id, usage, created_at, duration_ms"

    // MARK: - Exporting

    /// Writes one run, its plan and initial reference, every generation its links need (with their ancestors),
    /// their input edges and every blob's verified bytes into a new bundle file.
    ///
    /// The bundle is written to a temporary file next to `path`, one blob per insert and committed in batches,
    /// so memory stays bounded by the largest blob; it is renamed into place when complete.
    /// - Parameters:
    ///   - runID: The run's exact id.
    ///   - store: The store.
    ///   - path: The bundle file to create; it must not exist.
    /// - Throws: ``StoreError`` `invalidInput` if `path` exists, `notFound` for an unknown run, `integrity` for a
    ///   corrupt blob.
    public static func export(runID: String, from store: Store, to path: String) throws(StoreError) -> ExportSummary {
        if FileSystem.exists(path) {
            throw StoreError(code: .invalidInput, message: "\(path) already exists; remove it or choose another name")
        }
        guard let run = try store.run(id: runID) else {
            throw StoreError(code: .notFound, message: "no run \(runID)")
        }
        let links = try store.links(ofRun: runID)
        // The generations the links need, and their ancestors.
        var generations: [GenerationRecord] = []
        var seen: Set<Digest> = []
        var queue = links.compactMap(\.key)
        while let key = queue.popLast() {
            guard seen.insert(key).inserted, let generation = try store.generation(for: key) else { continue }
            generations.append(generation)
            for input in generation.inputs {
                queue += try store.generations(producing: input).map(\.key)
            }
        }
        let failedKeys = links.filter { $0.outcome == .failed }.compactMap(\.key).filter { !seen.contains($0) }
        var digests: Set<Digest> = [run.plan]
        if let initial = run.initialReference { digests.insert(initial) }
        for generation in generations {
            digests.insert(generation.output)
            digests.formUnion(generation.inputs)
        }
        for link in links { if let output = link.output { digests.insert(output) } }

        let temporary = "\(path).partial-\(getpid())"
        try? FileSystem.removeFile(temporary)
        var blobBytes = 0
        do {
            let bundle = try Database(path: temporary)
            try bundle.execute("PRAGMA journal_mode = DELETE")
            try bundle.execute(schema)
            try bundle.write {
                try bundle.execute("INSERT INTO bundle_meta (key, value) VALUES ('format', ?)", format)
                try bundle.execute("INSERT INTO bundle_meta (key, value) VALUES ('run', ?)", runID)
                try bundle.execute("INSERT INTO bundle_meta (key, value) VALUES ('created_at', ?)", Timestamp.now())
                try bundle.execute(
                    "INSERT INTO runs (\(RunRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        run.id, run.planName, run.plan, run.planPath, run.initialReference, run.takes, run.startedAt,
                        run.finishedAt, run.effectiveStatus.rawValue, run.mode, nil as Int?,
                    ])
                for link in links {
                    try bundle.execute(
                        "INSERT INTO run_links (run_id, \(RunLinkRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: [
                            runID, link.node, link.position, link.key, link.output, link.outcome.rawValue, link.reason,
                            link.error,
                        ])
                }
                for generation in generations {
                    try bundle.execute(
                        """
                        INSERT INTO generations (\(generationColumns), cost, cost_basis)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        arguments: [
                            generation.key, generation.request, generation.output, generation.backend,
                            generation.model, generation.modelVersion, generation.providerID, generation.usage,
                            generation.createdAt, generation.durationMilliseconds, generation.cost, generation.costBasis,
                        ])
                    for (position, input) in generation.inputs.enumerated() {
                        try bundle.execute(
                            "INSERT INTO generation_inputs (key, position, digest) VALUES (?, ?, ?)", generation.key,
                            position, input)
                    }
                }
                for key in failedKeys {
                    if let request = try store.requestText(for: key) {
                        try bundle.execute("INSERT INTO requests (key, request) VALUES (?, ?)", key, request)
                    }
                }
            }
            // Blobs, one verified read and one insert each, committed every 64 MiB or 256 blobs.
            var pending = 0
            var pendingBytes = 0
            try bundle.execute("BEGIN IMMEDIATE TRANSACTION")
            for digest in digests.sorted() {
                guard let record = try store.blob(for: digest) else {
                    throw StoreError(code: .notFound, message: "blob \(digest) is not recorded in the store")
                }
                // Streamed: a `zeroblob` of the file's size, filled chunk by chunk (incremental BLOB I/O) and
                // verified against the digest as it is read, so a clip never sits whole in memory.
                let file = store.blobs.path(for: digest)
                let input: FileHandle
                do { input = try FileHandle.open(forReadingAt: file) } catch Errno.notFound {
                    throw StoreError(code: .notFound, message: "blob \(digest) is missing from the store (\(file))")
                } catch {
                    throw StoreError.io("cannot open", file, error)
                }
                let size: Int
                do { size = Int(try input.status().st_size) } catch { throw StoreError.io("cannot stat", file, error) }
                try bundle.execute(
                    "INSERT INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?)", digest,
                    size, record.mediaType?.mimeType, record.createdAt)
                try bundle.execute("INSERT INTO blob_data (digest, bytes) VALUES (?, zeroblob(?))", digest, size)
                let blob = try IncrementalBlob(
                    database: bundle, table: "blob_data", column: "bytes", row: bundle.lastInsertedRowID,
                    writable: true)
                var hasher = SHA256()
                var offset = 0
                try FileHasher.forEachChunk(of: input, path: file, readFailure: .io) { (chunk) throws(StoreError) in
                    guard offset + chunk.count <= size else {
                        throw StoreError(code: .integrity, message: "blob \(digest) changed while it was being read")
                    }
                    hasher.update(bufferPointer: chunk)
                    do { try blob.write(chunk, at: offset) } catch {
                        throw StoreError(code: .io, message: "\(path): cannot write bundle: \(error)")
                    }
                    offset += chunk.count
                }
                blob.close()
                guard offset == size, hasher.finalize() == digest else {
                    throw StoreError(
                        code: .integrity, message: "blob \(digest) is corrupt: its bytes do not match its digest")
                }
                blobBytes += size
                pending += 1
                pendingBytes += size
                if pending >= 256 || pendingBytes >= 64 << 20 {
                    try bundle.execute("COMMIT TRANSACTION; BEGIN IMMEDIATE TRANSACTION")
                    pending = 0
                    pendingBytes = 0
                }
            }
            try bundle.execute("COMMIT TRANSACTION")
        } catch {
            try? FileSystem.removeFile(temporary)
            try? FileSystem.removeFile(temporary + "-journal")
            if let error = error as? StoreError { throw error }
            throw StoreError(code: .io, message: "\(path): cannot write bundle: \(error)")
        }
        do {
            let handle = try FileHandle.open(forReadingAt: temporary)
            try handle.sync()
            try handle.close()
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? FileSystem.removeFile(temporary)
            throw .io("cannot finish bundle", path, error)
        }
        return ExportSummary(runID: runID, blobs: digests.count, bytes: blobBytes, generations: generations.count)
    }

    // MARK: - Importing

    /// The rows of a validated bundle (everything but the blob bytes, which stay in the file).
    struct Contents {
        var blobs: [BlobRecord] = []
        var stored: Set<Digest> = []
        var generations: [GenerationRecord] = []
        var requests: [(Digest, String)] = []
        var runs: [RunRecord] = []
        var links: [(String, RunLinkRecord)] = []
    }

    /// Imports a bundle into the store at `directory`, all or nothing.
    ///
    /// The bundle is opened read-only and checked completely before the store is touched: every blob's bytes
    /// against its digest and size, every generation's key against its request text, every digest's form, and
    /// every referenced blob and generation present in the bundle or already in the store. Only then are the
    /// blobs staged, fsynced and renamed into place, and all rows inserted in one transaction.
    /// - Parameters:
    ///   - path: The bundle file.
    ///   - directory: The store directory (created if missing).
    /// - Returns: What was imported.
    /// - Throws: ``StoreError`` `invalidInput` for a bad bundle (the store is then left unchanged).
    public static func importBundle(at path: String, intoStoreAt directory: String, renaming: Bool = false)
        throws(StoreError) -> ImportSummary
    {
        try FileHasher.checkRegularFile(at: path)
        var contents: Contents
        let bundle: Database
        do {
            bundle = try Database(readOnlyAt: path)
            contents = try validate(bundle)
        } catch let error as StoreError {
            throw StoreError(code: .invalidInput, message: "\(path) is not a valid bundle: \(error.message)")
        } catch let error as SQLiteError {
            throw StoreError(
                code: .invalidInput,
                message: "\(path) is not a valid bundle: \(error.message ?? "SQLite error \(error.code.rawValue)")")
        } catch {
            throw StoreError(code: .invalidInput, message: "\(path) is not a valid bundle: \(error)")
        }

        // References the bundle does not carry must already be in the store; with no store yet, in the bundle:
        // a bad bundle must not create a store.
        var known = contents.stored
        let keys = Set(contents.generations.map(\.key))
        var needed: Set<Digest> = []
        for generation in contents.generations {
            needed.insert(generation.output)
            needed.formUnion(generation.inputs)
        }
        for run in contents.runs {
            needed.insert(run.plan)
            if let initial = run.initialReference { needed.insert(initial) }
        }
        for (_, link) in contents.links { if let output = link.output { needed.insert(output) } }
        let absent = needed.subtracting(known).sorted()
        if let first = absent.first, !FileSystem.exists(directory + "/framechain.sqlite") {
            throw StoreError(
                code: .invalidInput,
                message: "\(path) is not a valid bundle: blob \(first) is referenced but neither in the bundle nor in the store")
        }
        let store = try Store(directory: directory)
        let settled = try settlingExistingRuns(contents, bundle: path, in: store, renaming: renaming)
        contents = settled.contents
        if contents.runs.isEmpty {
            return ImportSummary(
                runIDs: [], blobsAdded: 0, blobsPresent: 0, generations: 0, unchanged: settled.unchanged)
        }
        for digest in absent {
            // A blob the bundle does not carry is taken from the store only after its bytes are re-hashed.
            guard try intactLocally(digest, in: store, bundle: path) else {
                throw StoreError(
                    code: .invalidInput,
                    message:
                        "\(path) is not a valid bundle: blob \(digest) is referenced but neither in the bundle nor in the store"
                )
            }
            known.insert(digest)
        }
        for (runID, link) in contents.links where link.outcome == .hit || link.outcome == .generated {
            guard let key = link.key else {
                throw StoreError(
                    code: .invalidInput, message: "\(path) is not a valid bundle: link \(runID):\(link.node) has no key"
                )
            }
            if !keys.contains(key), try store.generation(for: key) == nil {
                throw StoreError(
                    code: .invalidInput,
                    message: "\(path) is not a valid bundle: generation \(key) of \(runID):\(link.node) is missing")
            }
        }

        // Stage every new blob from the bundle, re-checking its digest, then publish them together.
        var staged: [StagedBlob] = []
        var present = 0
        do throws(StoreError) {
            for record in contents.blobs {
                // A local copy is trusted only after it is re-hashed; a damaged one is replaced by the bundle's.
                if try store.contains(record.digest), (try? store.isIntact(record.digest)) == true {
                    present += 1
                    continue
                }
                let source: IncrementalBlob
                do {
                    guard let row = try bundle.row("SELECT rowid FROM blob_data WHERE digest = ?", record.digest),
                        let rowID = row.int(0)
                    else {
                        throw StoreError(code: .invalidInput, message: "blob \(record.digest) vanished from the bundle")
                    }
                    source = try IncrementalBlob(
                        database: bundle, table: "blob_data", column: "bytes", row: Int64(rowID), writable: false)
                } catch let error as StoreError {
                    throw error
                } catch {
                    throw StoreError(
                        code: .invalidInput, message: "\(path): cannot read blob \(record.digest): \(error)")
                }
                // Streamed from the bundle into the staging file, hashed on the way.
                let blob = try store.blobs.stage(chunks: { (consume) throws(StoreError) in
                    try source.forEachChunk(consume)
                })
                source.close()
                staged.append(blob)
                guard blob.digest == record.digest else {
                    throw StoreError(
                        code: .invalidInput, message: "\(path): blob \(record.digest) changed while it was imported")
                }
            }
            try store.blobs.publish(staged)
        } catch {
            store.blobs.discard(staged)
            throw error
        }
        try store.write { db in
            for record in contents.blobs { try Store.insert(record, into: db) }
            for generation in contents.generations { try Store.insert(generation, into: db) }
            for (key, request) in contents.requests {
                try db.execute("INSERT OR IGNORE INTO requests (key, request) VALUES (?, ?)", key, request)
            }
            for run in contents.runs {
                try db.execute(
                    "INSERT OR IGNORE INTO runs (\(RunRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        run.id, run.planName, run.plan, run.planPath, run.initialReference, run.takes, run.startedAt,
                        run.finishedAt, run.status == .running ? RunStatus.interrupted.rawValue : run.status.rawValue,
                        "import", nil as Int?,
                    ])
            }
            for (runID, link) in contents.links {
                try db.execute(
                    "INSERT OR IGNORE INTO run_links (run_id, \(RunLinkRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        runID, link.node, link.position, link.key, link.output, link.outcome.rawValue, link.reason,
                        link.error,
                    ])
            }
        }
        return ImportSummary(
            runIDs: contents.runs.map(\.id), blobsAdded: staged.count, blobsPresent: present,
            generations: contents.generations.count, unchanged: settled.unchanged, renamed: settled.renamed)
    }

    /// Whether the store holds `digest` with bytes that hash to it (re-hashed now).
    ///
    /// - Throws: ``StoreError`` `integrity` when the store's copy is damaged: the bundle relies on it.
    private static func intactLocally(_ digest: Digest, in store: Store, bundle path: String) throws(StoreError)
        -> Bool
    {
        do { return try store.isIntact(digest) } catch StoreError.integrity {
            throw StoreError(
                code: .integrity,
                message: "\(path) relies on blob \(digest), which it does not carry, and the store's copy is corrupt "
                    + "(run `framechain verify`)")
        }
    }
}
