import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One thing `framechain verify` found wrong with a store.
public struct IntegrityProblem: Sendable, Hashable, Comparable {
    /// The kind of damage (docs/AUDIT.md lists them).
    public struct Kind: RawRepresentable, Hashable, Sendable, Comparable {
        /// The kind's name as `verify --json` writes it.
        public let rawValue: String
        /// Creates a kind from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Orders kinds by name.
        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }

        /// A blob file whose bytes do not hash to its name (or whose row records another size).
        public static let corrupt = Kind(rawValue: "corrupt")
        /// A `blobs` row without its file.
        public static let missing = Kind(rawValue: "missing")
        /// A complete, correctly named blob file without a `blobs` row (left by a crash between the rename and
        /// the insert). `gc` removes it once it is older than the grace period; `blob put` adopts it.
        public static let unrecorded = Kind(rawValue: "unrecorded")
        /// A file or directory under `blobs/` whose name is not a blob's.
        public static let stray = Kind(rawValue: "stray")
        /// A generation whose key is not the SHA-256 of its stored request text.
        public static let keyMismatch = Kind(rawValue: "key_mismatch")
        /// A row that references a blob (or generation) the store does not have.
        public static let dangling = Kind(rawValue: "dangling")
        /// A digest column holding text that is not `sha256:<64 lowercase hex>`.
        public static let malformed = Kind(rawValue: "malformed")
        /// SQLite's `PRAGMA integrity_check` reported a problem.
        public static let database = Kind(rawValue: "database")
        /// Rows that disagree with each other: a run's link whose output is not its key's generation's output, or
        /// lineage edges (`generation_inputs`) that are not the `inputs` of the generation's request text.
        public static let inconsistent = Kind(rawValue: "inconsistent")
    }

    /// What kind of damage.
    public let kind: Kind
    /// What is damaged: a digest, a key, a path relative to the store, or `framechain.sqlite`.
    public let subject: String
    /// One line of detail.
    public let detail: String

    /// Creates a problem.
    public init(kind: Kind, subject: String, detail: String) {
        self.kind = kind
        self.subject = subject
        self.detail = detail
    }

    /// Orders problems by kind, subject and detail.
    public static func < (lhs: IntegrityProblem, rhs: IntegrityProblem) -> Bool {
        (lhs.kind, lhs.subject, lhs.detail) < (rhs.kind, rhs.subject, rhs.detail)
    }
}

/// The result of checking a whole store.
public struct VerifyReport: Sendable {
    /// How many blob files were hashed.
    public let blobsChecked: Int
    /// How many bytes were hashed.
    public let bytesChecked: Int
    /// How many generations' keys were checked.
    public let generationsChecked: Int
    /// Everything found wrong, sorted by kind and subject.
    public let problems: [IntegrityProblem]

    /// Whether nothing is wrong.
    public var ok: Bool { problems.isEmpty }
}

extension Store {
    // MARK: - Verifying

    /// Checks the whole store: every blob file hashes to its name, every `blobs` row has its file and every file
    /// its row, every key is the SHA-256 of its request text, every referenced digest exists, and SQLite's
    /// integrity check passes.
    ///
    /// Blob files are hashed in parallel by `workers` threads, each with its own hasher and buffer.
    /// - Parameter workers: How many threads hash blobs (default: one per active processor).
    /// - Returns: The counts and every problem found.
    /// - Throws: ``StoreError`` only when the check itself cannot run (the database cannot be read at all).
    public func verify(workers: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) throws(StoreError) -> VerifyReport {
        var problems: [IntegrityProblem] = []
        let files = listBlobFiles(problems: &problems)
        let hashed = Self.hashInParallel(files.map(\.path), workers: max(1, workers))
        var onDisk: [Digest: Int] = [:]
        var bytes = 0
        for (file, result) in zip(files, hashed) {
            switch result {
            case .success(let (digest, size)):
                bytes += size
                onDisk[file.digest] = size
                if digest != file.digest {
                    problems.append(
                        IntegrityProblem(
                            kind: .corrupt, subject: file.digest.description,
                            detail: "its file \(file.relativePath) hashes to \(digest)"))
                }
            case .failure(let error):
                problems.append(
                    IntegrityProblem(kind: .corrupt, subject: file.digest.description, detail: "cannot read: \(error)"))
            }
            if onDisk[file.digest] == nil { onDisk[file.digest] = -1 }
        }
        // Every query sees one snapshot. Files are renamed into place before their rows are inserted, so a row
        // whose file was published after the listing above is found by looking again, not reported missing.
        let blobs = self.blobs
        let generationsChecked = try read { db in
            var count = 0
            try db.inTransaction(.deferred) {
                count = try Self.checkRows(db, onDisk: onDisk, blobs: blobs, problems: &problems)
                return .commit
            }
            return count
        }
        problems = try droppingWritesInProgress(problems)
        return VerifyReport(
            blobsChecked: files.count, bytesChecked: bytes, generationsChecked: generationsChecked,
            problems: problems.sorted())
    }

    /// A writer publishes a blob's file a moment before the transaction that records its row, so a file
    /// "unrecorded" in the snapshot may be a write in progress (a `run` committing while `verify` reads). Such
    /// files are looked up again under the write lock (which waits for a writer's transaction), and those still
    /// unrecorded but written in the last 2 s once more after half a second; only what stays unrecorded is
    /// reported.
    private func droppingWritesInProgress(_ problems: [IntegrityProblem]) throws(StoreError) -> [IntegrityProblem] {
        var remaining = problems
        for attempt in 0..<2 {
            let candidates = remaining.filter { $0.kind == .unrecorded }.compactMap { Digest(parsing: $0.subject) }
            guard !candidates.isEmpty else { break }
            if attempt == 1 {
                let now = Int(time(nil))
                let recent = candidates.contains { digest in
                    guard let info = try? FileSystem.status(at: blobs.path(for: digest)) else { return false }
                    return Self.modificationTime(info) >= now - 2
                }
                guard recent else { break }
                usleep(500_000)
            }
            let lookUp: (Database) throws -> Set<Digest> = { db in
                Set(try candidates.filter { try db.row("SELECT 1 FROM blobs WHERE digest = ?", $0) != nil })
            }
            // A store verify cannot write to (read-only) has no writer to wait for: a plain read will do.
            let recorded: Set<Digest>
            if let found = try? write(lookUp) { recorded = found } else { recorded = try read(lookUp) }
            remaining.removeAll { $0.kind == .unrecorded && Digest(parsing: $0.subject).map(recorded.contains) == true }
        }
        return remaining
    }

    /// A blob file found under `blobs/sha256`.
    struct BlobFile {
        let digest: Digest
        let path: String
        let relativePath: String
    }

    /// Lists `blobs/sha256/<2 hex>/<64 hex>` files; anything else there is reported as `stray`.
    func listBlobFiles(problems: inout [IntegrityProblem]) -> [BlobFile] {
        var files: [BlobFile] = []
        let root = blobs.blobsDirectory
        let prefixes = (try? FileSystem.contentsOfDirectory(root)) ?? []
        for prefix in prefixes.sorted() {
            let directory = root + "/" + prefix
            let isDirectory = (try? FileSystem.status(at: directory, followLinks: false)).map {
                $0.st_mode & S_IFMT == S_IFDIR
            }
            guard prefix.utf8.count == 2, prefix.allSatisfy(\.isHexDigit), prefix == prefix.lowercased(),
                isDirectory == true
            else {
                problems.append(
                    IntegrityProblem(
                        kind: .stray, subject: "blobs/sha256/\(prefix)", detail: "not a blob shard directory"))
                continue
            }
            for name in ((try? FileSystem.contentsOfDirectory(directory)) ?? []).sorted() {
                let relative = "blobs/sha256/\(prefix)/\(name)"
                let path = directory + "/" + name
                let isFile = (try? FileSystem.status(at: path, followLinks: false)).map {
                    $0.st_mode & S_IFMT == S_IFREG
                }
                guard let digest = Digest(hexString: name), name.hasPrefix(prefix), isFile == true else {
                    problems.append(IntegrityProblem(kind: .stray, subject: relative, detail: "not a blob file name"))
                    continue
                }
                files.append(BlobFile(digest: digest, path: path, relativePath: relative))
            }
        }
        return files
    }

    /// Hashes files on `workers` threads; each thread takes the next file from a shared counter.
    static func hashInParallel(_ paths: [String], workers: Int) -> [Result<(Digest, Int), StoreError>] {
        let next = Atomic<Int>(0)
        let results = Mutex<[Result<(Digest, Int), StoreError>?]>(Array(repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: min(workers, max(1, paths.count))) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if index >= paths.count { return }
                let result: Result<(Digest, Int), StoreError>
                do throws(StoreError) {
                    let hashed = try FileHasher.hash(fileAt: paths[index], readFailure: .io)
                    result = .success((hashed.digest, hashed.size))
                } catch {
                    result = .failure(error)
                }
                results.withLock { $0[index] = result }
            }
        }
        return results.withLock { $0.map { $0! } }
    }

    /// Checks rows against the files on disk and against each other; returns the number of generations checked.
    private static func checkRows(
        _ db: Database, onDisk: [Digest: Int], blobs: BlobStore, problems: inout [IntegrityProblem]
    ) throws -> Int {
        var recorded: Set<Digest> = []
        try db.forEachRow("SELECT digest, size FROM blobs") { row in
            guard let digest = row.digest(0) else {
                problems.append(
                    IntegrityProblem(
                        kind: .malformed, subject: row.string(0) ?? "NULL", detail: "blobs.digest is not a digest"))
                return
            }
            recorded.insert(digest)
            guard let size = onDisk[digest] else {
                // Not there when the files were listed: published since (check it now), or really missing.
                switch Result(catching: { () throws(StoreError) in try blobs.storedDigest(of: digest) }) {
                case .success(let found?) where found.digest == digest: return
                case .success(let found?):
                    problems.append(
                        IntegrityProblem(
                            kind: .corrupt, subject: "\(digest)", detail: "its file hashes to \(found.digest)"))
                default:
                    problems.append(
                        IntegrityProblem(kind: .missing, subject: "\(digest)", detail: "recorded blob has no file"))
                }
                return
            }
            if size >= 0, let recordedSize = row.int(1), recordedSize != size {
                problems.append(
                    IntegrityProblem(
                        kind: .corrupt, subject: "\(digest)",
                        detail: "its row records \(recordedSize) bytes but its file has \(size)"))
            }
        }
        for digest in Set(onDisk.keys).subtracting(recorded).sorted() {
            problems.append(
                IntegrityProblem(
                    kind: .unrecorded, subject: "\(digest)",
                    detail: "blob file has no row (gc removes it, blob put adopts it)"))
        }
        var generations = 0
        var keys: Set<Digest> = []
        try db.forEachRow("SELECT key, request FROM generations") { row in
            generations += 1
            guard let key = row.digest(0) else {
                problems.append(
                    IntegrityProblem(
                        kind: .malformed, subject: row.string(0) ?? "NULL", detail: "generations.key is not a digest"))
                return
            }
            keys.insert(key)
            let actual = SHA256.hash(data: Array((row.string(1) ?? "").utf8))
            if actual != key {
                problems.append(
                    IntegrityProblem(
                        kind: .keyMismatch, subject: "\(key)", detail: "its request text hashes to \(actual)"))
            }
        }
        try db.forEachRow("SELECT key, request FROM requests") { row in
            guard let key = row.digest(0) else { return }
            let actual = SHA256.hash(data: Array((row.string(1) ?? "").utf8))
            if actual != key {
                problems.append(
                    IntegrityProblem(
                        kind: .keyMismatch, subject: "\(key)",
                        detail: "its failed attempt's request text hashes to \(actual)"))
            }
        }
        let references: [(sql: String, column: String)] = [
            ("SELECT key, output FROM generations", "generations.output"),
            ("SELECT key || '#' || position, digest FROM generation_inputs", "generation_inputs.digest"),
            ("SELECT id, plan FROM runs", "runs.plan"),
            ("SELECT id, initial_reference FROM runs WHERE initial_reference IS NOT NULL", "runs.initial_reference"),
            ("SELECT run_id || ':' || node, output FROM run_links WHERE output IS NOT NULL", "run_links.output"),
            ("SELECT address, body FROM provider_documents", "provider_documents.body"),
        ]
        for reference in references {
            try db.forEachRow(reference.sql) { row in
                let owner = row.string(0) ?? "?"
                guard let digest = row.digest(1) else {
                    problems.append(
                        IntegrityProblem(
                            kind: .malformed, subject: row.string(1) ?? "NULL",
                            detail: "\(reference.column) of \(owner) is not a digest"))
                    return
                }
                if !recorded.contains(digest) {
                    problems.append(
                        IntegrityProblem(
                            kind: .dangling, subject: "\(digest)",
                            detail: "\(reference.column) of \(owner) references a blob the store does not have"))
                }
            }
        }
        try db.forEachRow(
            "SELECT run_id || ':' || node, key FROM run_links WHERE key IS NOT NULL AND outcome IN ('hit', 'generated')"
        ) { row in
            guard let key = row.digest(1) else {
                problems.append(
                    IntegrityProblem(
                        kind: .malformed, subject: row.string(1) ?? "NULL",
                        detail: "run_links.key of \(row.string(0) ?? "?") is not a digest"))
                return
            }
            if !keys.contains(key) {
                problems.append(
                    IntegrityProblem(
                        kind: .dangling, subject: "\(key)",
                        detail:
                            "run_links.key of \(row.string(0) ?? "?") references a generation the store does not have"))
            }
        }
        try db.forEachRow("SELECT DISTINCT key FROM generation_inputs") { row in
            if let key = row.digest(0), !keys.contains(key) {
                problems.append(
                    IntegrityProblem(
                        kind: .dangling, subject: "\(key)", detail: "generation_inputs rows of a missing generation"))
            }
        }
        try db.forEachRow(
            """
            SELECT rl.run_id || ':' || rl.node, rl.output, g.output FROM run_links rl JOIN generations g ON g.key = rl.key
            WHERE rl.outcome IN ('hit', 'generated') AND rl.output IS NOT g.output
            """
        ) { row in
            problems.append(
                IntegrityProblem(
                    kind: .inconsistent, subject: row.string(0) ?? "?",
                    detail: "the link records output \(row.string(1) ?? "NULL") but its key's generation has \(row.string(2) ?? "NULL")"))
        }
        // The lineage edges must be the request's inputs: the canonical text holds them as `"inputs":[…]`.
        var edges: [Digest: [String]] = [:]
        try db.forEachRow("SELECT key, digest FROM generation_inputs ORDER BY key, position") { row in
            if let key = row.digest(0) { edges[key, default: []].append("\"" + (row.string(1) ?? "") + "\"") }
        }
        try db.forEachRow("SELECT key, request FROM generations") { row in
            guard let key = row.digest(0), let request = row.string(1) else { return }
            let expected = "\"inputs\":[" + (edges[key] ?? []).joined(separator: ",") + "]"
            if !request.contains(expected) {
                problems.append(
                    IntegrityProblem(
                        kind: .inconsistent, subject: "\(key)",
                        detail: "its generation_inputs rows are not the inputs of its request text"))
            }
        }
        try db.forEachRow("PRAGMA integrity_check") { row in
            let text = row.string(0) ?? ""
            if text != "ok" {
                problems.append(IntegrityProblem(kind: .database, subject: "framechain.sqlite", detail: text))
            }
        }
        return generations
    }
}
