#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Runs

extension Store {
    /// Records the start of a run whose plan (and initial reference) blobs the caller has just put.
    ///
    /// A concurrent `gc` may collect such a blob between the put and this insert (see
    /// ``insert(referencing:what:putAgain:_:)``); `putAgain` puts them again, and the run starts rather than
    /// stopping with a foreign-key failure.
    /// - Parameters:
    ///   - run: The run to record; its `plan` and `initialReference` name the blobs it refers to.
    ///   - putAgain: Puts the run's blobs again (the same bytes). Without it, a collected blob is an error.
    public func begin(run: RunRecord, restoringBlobs putAgain: (() throws(StoreError) -> Void)? = nil)
        throws(StoreError)
    {
        try insert(
            referencing: [run.plan] + (run.initialReference.map { [$0] } ?? []), what: "run \(run.id)",
            putAgain: putAgain
        ) { db in
            try db.execute(
                "INSERT INTO runs (\(RunRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    run.id, run.planName, run.plan, run.planPath, run.initialReference, run.takes, run.startedAt,
                    run.finishedAt, run.status.rawValue, run.mode, run.processID,
                ])
        }
    }

    /// Inserts a row that references blobs the caller has just put, in a write transaction that first checks the
    /// blobs are still in place.
    ///
    /// A blob that was already stored keeps its old `created_at`, so gc's grace period does not cover it, and
    /// until the new row exists nothing references it: a concurrent `gc` may collect it between the put and the
    /// insert. gc removes rows and files only inside its own write transaction, so a check inside this one is
    /// decisive; if a blob went, `putAgain` puts the blobs again and the insert is tried again (at most
    /// ``insertAttempts`` times).
    /// - Parameters:
    ///   - digests: The blobs the row references.
    ///   - what: The row, for the error message (`run 2026…`).
    ///   - putAgain: Puts the blobs again. Without it, a collected blob is an error.
    ///   - insert: Inserts the row.
    /// - Throws: ``StoreError`` `io` naming the blob when it is still gone after the last attempt.
    func insert(
        referencing digests: [Digest], what: String, putAgain: (() throws(StoreError) -> Void)?,
        _ insert: (Database) throws -> Void
    ) throws(StoreError) {
        let blobs = self.blobs
        for attempt in 1...Self.insertAttempts {
            let missing: Digest? = try write { db in
                for digest in digests
                where try db.row("SELECT 1 FROM blobs WHERE digest = ?", digest) == nil
                    || !FileSystem.exists(blobs.path(for: digest))
                {
                    return digest
                }
                try insert(db)
                return nil
            }
            guard let missing else { return }
            guard let putAgain, attempt < Self.insertAttempts else {
                // A race with another process, not bad input: exit 1 (a retry of the command succeeds).
                throw StoreError(
                    code: .io,
                    message: "blob \(missing) of \(what) was removed before it was recorded (by a concurrent gc?); "
                        + "run the command again")
            }
            try putAgain()
        }
    }

    /// How often ``insert(referencing:what:putAgain:_:)`` puts a collected blob again before it gives up.
    static let insertAttempts = 3

    /// Records links of a run in one transaction (cache hits are recorded in batches).
    public func record(links: [RunLinkRecord], runID: String) throws(StoreError) {
        guard !links.isEmpty else { return }
        try write { db in
            for link in links { try Self.insert(link, runID: runID, into: db) }
        }
    }

    static func insert(_ link: RunLinkRecord, runID: String, into db: Database) throws {
        try db.execute(
            "INSERT OR REPLACE INTO run_links (run_id, \(RunLinkRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                runID, link.node, link.position, link.key, link.output, link.outcome.rawValue, link.reason, link.error,
            ])
    }

    /// Records how a run ended.
    public func finish(runID: String, status: RunStatus) throws(StoreError) {
        try write { db in
            try db.execute(
                "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", status.rawValue, Timestamp.now(), runID)
        }
    }

    /// The run with exactly this id.
    public func run(id: String) throws(StoreError) -> RunRecord? {
        try read { db in try db.row("SELECT \(RunRecord.columns) FROM runs WHERE id = ?", id).map(RunRecord.init(row:))
        }
    }

    /// Every run, oldest first, optionally only those of one plan name.
    public func runs(planName: String? = nil) throws(StoreError) -> [RunRecord] {
        try read { db in
            if let planName {
                return try db.rows(
                    "SELECT \(RunRecord.columns) FROM runs WHERE plan_name = ? ORDER BY started_at, rowid", planName
                ).map(RunRecord.init(row:))
            }
            return try db.rows("SELECT \(RunRecord.columns) FROM runs ORDER BY started_at, rowid").map(
                RunRecord.init(row:))
        }
    }

    /// The most recent run of `planName`, if any.
    public func latestRun(planName: String) throws(StoreError) -> RunRecord? {
        try read { db in
            try db.row(
                "SELECT \(RunRecord.columns) FROM runs WHERE plan_name = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
                planName
            ).map(RunRecord.init(row:))
        }
    }

    /// Resolves a user's run reference: `latest`, a run id, or a unique prefix of one.
    ///
    /// - Throws: ``StoreError`` `notFound` when nothing or more than one run matches.
    public func resolveRun(_ reference: String) throws(StoreError) -> RunRecord {
        let found: [RunRecord] = try read { db in
            if reference == "latest" {
                return try db.rows("SELECT \(RunRecord.columns) FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1")
                    .map(RunRecord.init(row:))
            }
            if let exact = try db.row("SELECT \(RunRecord.columns) FROM runs WHERE id = ?", reference) {
                return [RunRecord(row: exact)]
            }
            let escaped = reference.escapedForLike
            return try db.rows(
                "SELECT \(RunRecord.columns) FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6", escaped + "%"
            ).map(RunRecord.init(row:))
        }
        switch found.count {
        case 1: return found[0]
        case 0:
            throw StoreError(
                code: .notFound,
                message: reference == "latest" ? "the store has no runs yet" : "no run matches \"\(reference)\"")
        default:
            let listed = found.prefix(5).map(\.id).joined(separator: ", ") + (found.count > 5 ? ", …" : "")
            throw StoreError(
                code: .notFound,
                message: "\"\(reference)\" is ambiguous: it matches more than one run (\(listed)); give more of the id")
        }
    }

    /// The links a run recorded, in plan order.
    public func links(ofRun runID: String) throws(StoreError) -> [RunLinkRecord] {
        try read { db in
            try db.rows("SELECT \(RunLinkRecord.columns) FROM run_links WHERE run_id = ? ORDER BY position", runID)
                .map(RunLinkRecord.init(row:))
        }
    }

    /// The latest recorded attempt at each of `nodes` among the runs of `planName` (the baseline that `status` and
    /// `run` explain changes against).
    ///
    /// Runs are read newest first, one run's links at a time (by primary key), and the walk stops as soon as every
    /// node has an attempt: usually after the latest run, so the cost does not grow with the plan's history.
    /// - Parameters:
    ///   - planName: The plan's name.
    ///   - nodes: The node ids wanted (`ref/1`, …).
    public func previousLinks(planName: String, nodes: Set<String>) throws(StoreError) -> [String: PreviousLink] {
        try read { db in
            var result: [String: PreviousLink] = [:]
            let runIDs = try db.rows(
                "SELECT id FROM runs WHERE plan_name = ? ORDER BY started_at DESC, rowid DESC", planName
            ).compactMap { $0.string(0) }
            for runID in runIDs where result.count < nodes.count {
                try db.forEachRow(
                    """
                    SELECT node, key, outcome FROM run_links
                    WHERE run_id = ? AND key IS NOT NULL AND outcome != 'skipped'
                    """, arguments: [runID]
                ) { row in
                    guard let node = row.string(0), nodes.contains(node), result[node] == nil,
                        let key = row.digest(1), let outcome = LinkOutcome(rawValue: row.string(2) ?? "")
                    else { return }
                    result[node] = PreviousLink(runID: runID, key: key, outcome: outcome)
                }
            }
            return result
        }
    }

    /// What a run needs to reuse the generation of `key`: its output, the output's media type and what the
    /// provider reported. `nil` unless the generation is recorded and its output blob's row and file exist (a
    /// missing file means the output must be generated again). One query and one `stat`: this is the hot path of
    /// a warm `run` or `status`.
    public func cachedOutput(for key: Digest) throws(StoreError) -> CachedOutput? {
        let found = try read { db in
            try db.row(
                """
                SELECT g.output, b.media_type, g.model_version, g.created_at, g.origin
                FROM generations g JOIN blobs b ON b.digest = g.output WHERE g.key = ?
                """, key)
        }
        guard let found, let output = found.digest(0), FileSystem.exists(blobs.path(for: output)) else { return nil }
        return CachedOutput(
            output: output, mediaType: found.string(1).flatMap(MediaType.init(rawValue:)), modelVersion: found.string(2),
            createdAt: found.string(3) ?? "", origin: found.string(4))
    }
}

extension String {
    /// The string with `\`, `%` and `_` escaped for a `LIKE … ESCAPE '\'` pattern.
    var escapedForLike: String {
        var result = ""
        for character in self {
            if character == "\\" || character == "%" || character == "_" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
