extension Store {
    /// The most recent generations of `backend`, newest first, as `(key, request text)`: what a replay miss is
    /// compared with to name the nearest recorded request.
    /// - Parameters:
    ///   - backend: The backend recorded with each generation.
    ///   - limit: How many to read at most.
    public func recentRequests(backend: String, limit: Int) throws(StoreError) -> [(key: Digest, request: String)] {
        try read { db in
            try db.rows(
                "SELECT key, request FROM generations WHERE backend = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                backend, limit
            ).compactMap { row in row.digest(0).map { ($0, row.string(1) ?? "") } }
        }
    }
}
