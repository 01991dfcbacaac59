/// What a run spent and what its cache hits saved, from the cost ledger (`generations.cost`).
public struct RunCosts: Sendable, Hashable {
    /// The cost of the generations the run made (links `generated`).
    public var spent: Double
    /// The recorded cost of the generations the run reused (links `hit`): what generating them again would cost.
    public var saved: Double
    /// Generated or hit links whose generation has no recorded cost (its model had no price).
    public var unpriced: Int

    /// Creates the figures.
    public init(spent: Double = 0, saved: Double = 0, unpriced: Int = 0) {
        self.spent = spent
        self.saved = saved
        self.unpriced = unpriced
    }
}

extension Store {
    /// What the run spent and saved, by the costs recorded with its links' generations.
    ///
    /// - Parameter runID: The run.
    /// - Returns: Spent (generated links), saved (hits) and how many of those links have no recorded cost.
    public func costs(ofRun runID: String) throws(StoreError) -> RunCosts {
        try read { db in
            var costs = RunCosts()
            try db.forEachRow(
                """
                SELECT rl.outcome, g.cost FROM run_links rl JOIN generations g ON g.key = rl.key
                WHERE rl.run_id = ? AND rl.outcome IN ('generated', 'hit')
                """, arguments: [runID]
            ) { row in
                guard let cost = row.double(1) else {
                    costs.unpriced += 1
                    return
                }
                if row.string(0) == "generated" { costs.spent += cost } else { costs.saved += cost }
            }
            return costs
        }
    }

    /// The cost recorded for each generated or hit link of a run, by node.
    public func linkCosts(ofRun runID: String) throws(StoreError) -> [String: Double] {
        try read { db in
            var costs: [String: Double] = [:]
            try db.forEachRow(
                """
                SELECT rl.node, g.cost FROM run_links rl JOIN generations g ON g.key = rl.key
                WHERE rl.run_id = ? AND g.cost IS NOT NULL
                """, arguments: [runID]
            ) { row in
                if let node = row.string(0), let cost = row.double(1) { costs[node] = cost }
            }
            return costs
        }
    }

    /// The mean time, in seconds, of the recorded generations of `model`: the provider's `predict_time` when it
    /// reported one, else the measured duration; `nil` when none is recorded. Estimates of per-second prices use it.
    public func meanSeconds(ofModel model: String) throws(StoreError) -> Double? {
        try read { db in
            try db.row(
                """
                SELECT avg(coalesce(json_extract(usage, '$.predict_time'), duration_ms / 1000.0))
                FROM generations WHERE model = ?
                """, model)?.double(0)
        }
    }
}
