#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checking a bundle before anything of it enters a store (docs/AUDIT.md, `framechain export` and `import`).
extension StoreBundle {
    /// Reads and checks everything in a bundle without touching any store.
    static func validate(_ bundle: Database) throws -> Contents {
        func fail(_ message: String) -> StoreError { StoreError(code: .invalidInput, message: message) }
        func digest(_ row: Row, _ index: Int, _ what: String) throws -> Digest {
            guard let text = row.string(index) else { throw fail("\(what) is missing") }
            guard let digest = Digest(parsing: text) else {
                throw fail("\(what) \"\(text)\" is not a digest (sha256:<64 lowercase hex>)")
            }
            return digest
        }
        func optionalDigest(_ row: Row, _ index: Int, _ what: String) throws -> Digest? {
            row.string(index) == nil ? nil : try digest(row, index, what)
        }

        for row in try bundle.rows("PRAGMA quick_check") where row.string(0) != "ok" {
            throw fail("the database is damaged: \(row.string(0) ?? "?")")
        }
        let metaTables = try bundle.row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'bundle_meta'")?.int(0)
        guard metaTables == 1 else {
            throw fail("it has no bundle_meta table (an empty file, or not written by framechain export)")
        }
        guard try bundle.row("SELECT value FROM bundle_meta WHERE key = 'format'")?.string(0) == format else {
            throw fail("bundle_meta.format is not \(format)")
        }
        var contents = Contents()
        var sizes: [Digest: Int] = [:]
        for row in try bundle.rows("SELECT digest, size, media_type, created_at FROM blobs") {
            let digest = try digest(row, 0, "blobs.digest")
            let record = BlobRecord(
                digest: digest, size: row.int(1) ?? -1,
                mediaType: row.string(2).flatMap(MediaType.init(rawValue:)), createdAt: row.string(3) ?? "")
            // A hostile bundle may drop the tables' primary keys: every entry must be unique.
            guard sizes[digest] == nil else { throw fail("blob \(digest) is listed twice in blobs") }
            contents.blobs.append(record)
            sizes[digest] = record.size
        }
        // Every blob's bytes, streamed a chunk at a time (incremental BLOB I/O): a clip is never loaded whole.
        for row in try bundle.rows("SELECT rowid, digest, typeof(bytes) FROM blob_data") {
            let digest = try digest(row, 1, "blob_data.digest")
            var hasher = SHA256()
            var count = 0
            if row.string(2) == "blob" || row.string(2) == "text", let rowID = row.int(0) {
                let blob = try IncrementalBlob(
                    database: bundle, table: "blob_data", column: "bytes", row: Int64(rowID), writable: false)
                try blob.forEachChunk { (chunk) throws(StoreError) in
                    hasher.update(bufferPointer: chunk)
                    count += chunk.count
                }
                blob.close()
            }
            let actual = hasher.finalize()
            guard actual == digest else { throw fail("the bytes of blob \(digest) hash to \(actual)") }
            guard sizes[digest] == count else {
                throw fail("blob \(digest) has \(count) bytes but its blobs row is missing or says otherwise")
            }
            guard contents.stored.insert(digest).inserted else {
                throw fail("blob \(digest) has its bytes twice in blob_data")
            }
        }
        for record in contents.blobs where !contents.stored.contains(record.digest) {
            throw fail("blob \(record.digest) has a row but no bytes")
        }
        var inputs: [Digest: [Digest]] = [:]
        for row in try bundle.rows("SELECT key, position, digest FROM generation_inputs ORDER BY key, position") {
            let key = try digest(row, 0, "generation_inputs.key")
            inputs[key, default: []].append(try digest(row, 2, "generation_inputs.digest"))
        }
        var seenKeys: Set<Digest> = []
        // The cost ledger's columns are in bundles written since store schema v2; older bundles have none.
        let hasCosts = try bundle.rows("PRAGMA table_info(generations)").contains { $0.string(1) == "cost_basis" }
        let costColumns = hasCosts ? ", cost, cost_basis" : ", NULL, NULL"
        for row in try bundle.rows("SELECT \(generationColumns)\(costColumns) FROM generations") {
            let key = try digest(row, 0, "generations.key")
            guard seenKeys.insert(key).inserted else {
                throw fail("generation \(key) is listed twice in generations")
            }
            let request = row.string(1) ?? ""
            let actual = SHA256.hash(data: Array(request.utf8))
            guard actual == key else { throw fail("generation \(key): its request text hashes to \(actual)") }
            let edges = inputs[key] ?? []
            guard request.contains("\"inputs\":[" + edges.map { "\"\($0)\"" }.joined(separator: ",") + "]") else {
                throw fail("generation \(key): its generation_inputs rows are not the inputs of its request text")
            }
            contents.generations.append(
                GenerationRecord(
                    key: key, request: request, output: try digest(row, 2, "generations.output of \(key)"),
                    backend: row.string(3) ?? "", model: row.string(4) ?? "", modelVersion: row.string(5),
                    providerID: row.string(6), usage: row.string(7), createdAt: row.string(8) ?? "",
                    durationMilliseconds: row.int(9) ?? 0, inputs: inputs.removeValue(forKey: key) ?? [],
                    cost: row.double(10), costBasis: row.string(11)))
            if let cost = row.double(10), !(cost >= 0) { throw fail("generation \(key): its cost \(cost) is negative") }
        }
        if let orphan = inputs.keys.first {
            throw fail("generation_inputs names generation \(orphan), which is absent")
        }
        for row in try bundle.rows("SELECT key, request FROM requests") {
            let key = try digest(row, 0, "requests.key")
            let request = row.string(1) ?? ""
            guard SHA256.hash(data: Array(request.utf8)) == key else {
                throw fail("failed attempt \(key): its request text does not hash to its key")
            }
            contents.requests.append((key, request))
        }
        for row in try bundle.rows("SELECT \(RunRecord.columns) FROM runs") {
            guard let id = row.string(0), !id.isEmpty, id.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" })
            else { throw fail("a run id is empty, not printable ASCII, or holds a '/'") }
            guard !contents.runs.contains(where: { $0.id == id }) else {
                throw fail("run \(id) is listed twice in runs")
            }
            guard let status = RunStatus(rawValue: row.string(8) ?? "") else {
                throw fail("run \(id) has no valid status")
            }
            contents.runs.append(
                RunRecord(
                    id: id, planName: row.string(1) ?? "", plan: try digest(row, 2, "runs.plan of \(id)"),
                    planPath: row.string(3),
                    initialReference: try optionalDigest(row, 4, "runs.initial_reference of \(id)"),
                    takes: row.string(5) ?? "{}", startedAt: row.string(6) ?? "", finishedAt: row.string(7),
                    status: status, mode: row.string(9) ?? "import", processID: nil))
        }
        if contents.runs.isEmpty { throw fail("it holds no run") }
        let runIDs = Set(contents.runs.map(\.id))
        var seenLinks: Set<String> = []
        for row in try bundle.rows("SELECT run_id, \(RunLinkRecord.columns) FROM run_links ORDER BY run_id, position") {
            guard let runID = row.string(0), runIDs.contains(runID) else {
                throw fail("a run link names an absent run")
            }
            guard let node = row.string(1), !node.isEmpty else { throw fail("a link of run \(runID) has no node") }
            guard let outcome = LinkOutcome(rawValue: row.string(5) ?? "") else {
                throw fail("link \(runID):\(node) has no valid outcome")
            }
            guard seenLinks.insert(runID + "\u{0}" + node).inserted else {
                throw fail("link \(runID):\(node) is listed twice in run_links")
            }
            contents.links.append(
                (
                    runID,
                    RunLinkRecord(
                        node: node, position: row.int(2) ?? 0,
                        key: try optionalDigest(row, 3, "run_links.key of \(node)"),
                        output: try optionalDigest(row, 4, "run_links.output of \(node)"), outcome: outcome,
                        reason: row.string(6), error: row.string(7))
                ))
        }
        return contents
    }
}
