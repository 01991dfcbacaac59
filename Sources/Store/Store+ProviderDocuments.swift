/// Documents of a provider's API kept for `framechain serve` (table `provider_documents`): a read the proxy answered
/// once from upstream, such as a Replicate model version, is answered again from the store, offline too.
extension Store {
    /// The bytes of the document kept at `address` (e.g. `replicate GET /v1/models/o/n/versions/<id>`), verified
    /// against their digest; `nil` when none is kept or its blob is missing or damaged (a damaged one is moved aside,
    /// so that record mode fetches the document again).
    public func providerDocument(at address: String) throws(StoreError) -> [UInt8]? {
        let body = try read { db in
            try db.row("SELECT body FROM provider_documents WHERE address = ?", address)?.digest(0)
        }
        guard let body else { return nil }
        switch Result(catching: { () throws(StoreError) in try contents(of: body) }) {
        case .success(let bytes): return bytes
        case .failure(let error) where error.code == .notFound: return nil
        case .failure(let error) where error.code == .integrity:
            try? quarantine(body)
            return nil
        case .failure(let error): throw error
        }
    }

    /// Keeps `bytes` as the document at `address`, replacing what was kept there.
    public func record(providerDocument bytes: [UInt8], at address: String) throws(StoreError) {
        let digest = try put(bytes: bytes).digest
        try insert(
            referencing: [digest], what: "the document at \(address)",
            putAgain: { () throws(StoreError) in _ = try self.put(bytes: bytes) }
        ) { db in
            try db.execute(
                "INSERT OR REPLACE INTO provider_documents (address, body, fetched_at) VALUES (?, ?, ?)", address,
                digest, Timestamp.now())
        }
    }
}
