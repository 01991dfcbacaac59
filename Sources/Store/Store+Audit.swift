extension Store {
    // MARK: - Audit queries

    /// The node name of the latest run link whose output is `digest`, with its run, or `nil`.
    public func latestLink(withOutput digest: Digest) throws(StoreError) -> (runID: String, node: String)? {
        try read { db in
            guard
                let row = try db.row(
                    """
                    SELECT rl.run_id, rl.node FROM run_links rl JOIN runs r ON r.id = rl.run_id
                    WHERE rl.output = ? ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1
                    """, digest),
                let runID = row.string(0), let node = row.string(1)
            else { return nil }
            return (runID, node)
        }
    }

    /// Whether some run used `digest` as its initial reference image.
    public func isInitialReference(_ digest: Digest) throws(StoreError) -> Bool {
        try read { db in try db.row("SELECT 1 FROM runs WHERE initial_reference = ? LIMIT 1", digest) != nil }
    }

    /// How many links of each outcome every run recorded: run id → outcome → count.
    public func linkCounts() throws(StoreError) -> [String: [LinkOutcome: Int]] {
        try read { db in
            var counts: [String: [LinkOutcome: Int]] = [:]
            try db.forEachRow("SELECT run_id, outcome, count(*) FROM run_links GROUP BY run_id, outcome") { row in
                guard let runID = row.string(0), let outcome = LinkOutcome(rawValue: row.string(1) ?? "") else {
                    return
                }
                counts[runID, default: [:]][outcome] = row.int(2) ?? 0
            }
            return counts
        }
    }
}
