#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `framechain gc` removed (or, in a dry run, would remove).
public struct CollectionReport: Sendable {
    /// Blobs nothing references, with their sizes.
    public var blobs: [(digest: Digest, size: Int)] = []
    /// Correctly named blob files without a row, older than the grace period.
    public var unrecordedFiles: [(digest: Digest, size: Int)] = []
    /// Stale staging files in `tmp/` (name and size).
    public var stagingFiles: [(name: String, size: Int)] = []
    /// Generations no kept run needs (only with `dropGenerations`).
    public var generations: [Digest] = []
    /// Runs in progress (id and pid) because of which no generation was dropped: a run may be about to reuse
    /// a generation that no recorded link names yet.
    public var generationsKeptFor: [(runID: String, processID: Int)] = []
    /// Whether this was a dry run.
    public var dryRun: Bool

    /// The bytes freed (or that would be).
    public var bytes: Int {
        blobs.reduce(0) { $0 + $1.size } + unrecordedFiles.reduce(0) { $0 + $1.size }
            + stagingFiles.reduce(0) { $0 + $1.size }
    }
}

/// How `gc` decides what may go.
public struct CollectionPolicy: Sendable {
    /// Only files and blobs at least this many seconds old (counted in whole seconds) may go, so that nothing another process is writing right
    /// now is touched (a staging file also needs its writer process to be gone).
    public var graceSeconds: Int
    /// Also drop generations (and failed-attempt requests) that no kept run needs.
    public var dropGenerations: Bool
    /// List what would go without removing anything.
    public var dryRun: Bool

    /// Creates a policy.
    public init(graceSeconds: Int = 3600, dropGenerations: Bool = false, dryRun: Bool = false) {
        self.graceSeconds = graceSeconds
        self.dropGenerations = dropGenerations
        self.dryRun = dryRun
    }
}

extension Store {
    // MARK: - Forgetting runs

    /// Deletes runs and their links (their generations and blobs stay until `gc`).
    ///
    /// - Parameter ids: Exact run ids.
    /// - Throws: ``StoreError`` `invalidInput` if a run is still running (its process is alive).
    public func deleteRuns(_ ids: [String]) throws(StoreError) {
        for id in ids {
            if let run = try run(id: id), run.effectiveStatus == .running {
                throw StoreError(code: .invalidInput, message: "run \(id) is still running (pid \(run.processID ?? 0))")
            }
        }
        try write { db in
            for id in ids {
                try db.execute("DELETE FROM run_links WHERE run_id = ?", id)
                try db.execute("DELETE FROM runs WHERE id = ?", id)
            }
        }
    }

    // MARK: - Collecting garbage

    /// Removes what nothing references: blobs not referenced by `generations.output`, `generation_inputs`,
    /// `runs.plan`, `runs.initial_reference`, `run_links.output` or `provider_documents.body`; correctly named blob
    /// files without a row; and staging files in `tmp/` whose writer process is gone. Only things older than the
    /// grace period go.
    ///
    /// Rows are removed, and their files moved aside, inside one write transaction, so a concurrent writer can
    /// never record a blob whose file gc is removing; the files are deleted after the commit, and a gc killed at
    /// any point is settled by the next opening of the store (see the comment in the body).
    /// - Parameter policy: Grace period, whether generations go too, dry run.
    /// - Returns: What went (or would go).
    public func collectGarbage(_ policy: CollectionPolicy) throws(StoreError) -> CollectionReport {
        var report = CollectionReport(dryRun: policy.dryRun)
        let now = time(nil)
        let cutoff = Self.timestamp(secondsSinceEpoch: Int(now) - policy.graceSeconds)
        // Rows first, in one write transaction (rolled back in a dry run).
        let collected: ([Digest], [(Digest, Int)], [(String, Int)])
        do {
            collected = try collectRows(policy, cutoff: cutoff)
        } catch {
            recoverInterruptedCollection(includingOwn: true)
            throw error
        }
        if !policy.dryRun {
            for (digest, _) in collected.1 { try? FileSystem.removeFile(collectionPath(for: digest)) }
        }
        report.generations = collected.0
        report.generationsKeptFor = collected.2.map { (runID: $0.0, processID: $0.1) }
        report.blobs = collected.1.map { (digest: $0.0, size: $0.1) }
        try collectFiles(policy, now: now, into: &report)
        return report
    }

    /// Removes the rows of what nothing references, in one write transaction, moving their files aside.
    private func collectRows(_ policy: CollectionPolicy, cutoff: String) throws(StoreError)
        -> ([Digest], [(Digest, Int)], [(String, Int)])
    {
        try withRollback(policy.dryRun) { db in
            var generations: [Digest] = []
            // A run in progress may be about to record a hit on a generation no link names yet: generations stay
            // while one is (checked inside this transaction, so a run that begins later sees the drop).
            var inProgress: [(String, Int)] = []
            if policy.dropGenerations {
                try db.forEachRow("SELECT id, pid FROM runs WHERE status = 'running' AND pid IS NOT NULL") { row in
                    if let id = row.string(0), let pid = row.int(1),
                        pid == Int(getpid()) || Self.processIsAlive(Int32(pid))
                    {
                        inProgress.append((id, pid))
                    }
                }
            }
            if policy.dropGenerations && inProgress.isEmpty {
                generations = try Self.unneededGenerations(db)
                for key in generations {
                    try db.execute("DELETE FROM generation_inputs WHERE key = ?", key)
                    try db.execute("DELETE FROM generations WHERE key = ?", key)
                }
                try db.execute(
                    "DELETE FROM requests WHERE key NOT IN (SELECT key FROM run_links WHERE key IS NOT NULL)")
            }
            var blobs: [(Digest, Int)] = []
            try db.forEachRow(
                """
                SELECT digest, size FROM blobs WHERE created_at <= ?
                AND digest NOT IN (SELECT output FROM generations)
                AND digest NOT IN (SELECT digest FROM generation_inputs)
                AND digest NOT IN (SELECT plan FROM runs)
                AND digest NOT IN (SELECT initial_reference FROM runs WHERE initial_reference IS NOT NULL)
                AND digest NOT IN (SELECT output FROM run_links WHERE output IS NOT NULL)
                AND digest NOT IN (SELECT body FROM provider_documents)
                ORDER BY digest
                """, arguments: [cutoff]
            ) { row in
                if let digest = row.digest(0) { blobs.append((digest, row.int(1) ?? 0)) }
            }
            for (digest, _) in blobs { try db.execute("DELETE FROM blobs WHERE digest = ?", digest) }
            // Files are moved aside to `tmp/gc-<pid>-<hex>` while the write lock is held, so that no writer can
            // record one of them meanwhile (writers check their file inside their own write transaction, which
            // waits for this one), and deleted once the rows' removal is committed. A gc killed in between leaves
            // moved-aside files that the next opening of the store settles (``recoverInterruptedCollection()``):
            // back into place if the row is still there, deleted if not. No row ever loses its file for good, and
            // no file outlives its row.
            if !policy.dryRun {
                for (digest, _) in blobs { moveAsideForCollection(digest) }
            }
            return (generations, blobs, inProgress)
        }
    }

    /// Removes unrecorded blob files and stale staging files older than the grace period.
    private func collectFiles(_ policy: CollectionPolicy, now: time_t, into report: inout CollectionReport)
        throws(StoreError)
    {
        // Unrecorded blob files (a crash between rename and insert), once older than the grace period.
        var ignored: [IntegrityProblem] = []
        let files = listBlobFiles(problems: &ignored)
        let recorded: Set<Digest> = try read { db in
            Set(try db.rows("SELECT digest FROM blobs").compactMap { $0.digest(0) })
        }
        let removed = Set(report.blobs.map(\.digest))
        for file in files where !recorded.contains(file.digest) && !removed.contains(file.digest) {
            guard let info = try? FileSystem.status(at: file.path, followLinks: false),
                Self.modificationTime(info) <= Int(now) - policy.graceSeconds
            else { continue }
            if !policy.dryRun {
                // Under the write lock, and only if no writer has recorded it since it was listed.
                let removedNow: Bool = try write { db in
                    guard try db.row("SELECT 1 FROM blobs WHERE digest = ?", file.digest) == nil else { return false }
                    try? FileSystem.removeFile(file.path)
                    return true
                }
                if !removedNow { continue }
            }
            report.unrecordedFiles.append((file.digest, Int(info.st_size)))
        }
        // Stale staging files: old enough, and their writer (pid in the name) is gone.
        let staging = blobs.stagingDirectory
        for name in ((try? FileSystem.contentsOfDirectory(staging)) ?? []).sorted() {
            let parts = name.split(separator: "-")
            // `put-<pid>-<random>`: a staging file, removable once its writer is gone; `corrupt-<hex>-<random>`: a
            // blob file moved aside because its bytes did not match its name.
            let writerGone: Bool
            if parts.count == 3, parts[0] == "put", let pid = Int32(parts[1]), pid > 0 {
                writerGone = !Self.processIsAlive(pid)
            } else if parts.count == 3, parts[0] == "corrupt" {
                writerGone = true
            } else {
                continue
            }
            let path = staging + "/" + name
            guard writerGone, let info = try? FileSystem.status(at: path, followLinks: false),
                info.st_mode & S_IFMT == S_IFREG,
                Self.modificationTime(info) <= Int(now) - policy.graceSeconds
            else { continue }
            report.stagingFiles.append((name, Int(info.st_size)))
            if !policy.dryRun { try? FileSystem.removeFile(path) }
        }
    }

    /// Generations that no kept run's link names, directly or as an ancestor of one it names.
    private static func unneededGenerations(_ db: Database) throws -> [Digest] {
        var outputs: [Digest: [Digest]] = [:]  // output digest -> keys producing it
        var inputs: [Digest: [Digest]] = [:]  // key -> input digests
        var all: [Digest] = []
        try db.forEachRow("SELECT key, output FROM generations") { row in
            guard let key = row.digest(0), let output = row.digest(1) else { return }
            all.append(key)
            outputs[output, default: []].append(key)
        }
        try db.forEachRow("SELECT key, digest FROM generation_inputs ORDER BY key, position") { row in
            guard let key = row.digest(0), let digest = row.digest(1) else { return }
            inputs[key, default: []].append(digest)
        }
        var kept: Set<Digest> = []
        var queue: [Digest] = []
        try db.forEachRow("SELECT DISTINCT key FROM run_links WHERE key IS NOT NULL") { row in
            if let key = row.digest(0) { queue.append(key) }
        }
        while let key = queue.popLast() {
            guard kept.insert(key).inserted else { continue }
            for input in inputs[key] ?? [] { queue += outputs[input] ?? [] }
        }
        return all.filter { !kept.contains($0) }.sorted()
    }

    /// Runs `body` in a write transaction that commits, or rolls back when `rollback` is true.
    private func withRollback<T: Sendable>(_ rollback: Bool, _ body: (Database) throws -> T) throws(StoreError) -> T {
        try read { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return rollback ? .rollback : .commit
            }
            return result!
        }
    }

    /// A file's modification time in seconds since the epoch.
    static func modificationTime(_ info: stat) -> Int {
        #if canImport(Darwin)
            Int(info.st_mtimespec.tv_sec)
        #else
            Int(info.st_mtim.tv_sec)
        #endif
    }

    /// Whether a process with this id exists (`EPERM` means it exists but is not ours).
    static func processIsAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// The RFC 3339 form of the last millisecond of a second, as ``Timestamp`` writes times.
    static func timestamp(secondsSinceEpoch: Int) -> String {
        var seconds = time_t(secondsSinceEpoch)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).999Z"
    }
}
