import Store

extension Execution {
    /// Looks every local miss up on the remote cache at once (one `GET ac/…` per key, in parallel) and returns the
    /// checked action records by key. Nothing is asked when there is no readable remote; misses, rejections and an
    /// unavailable remote are noted by the session and leave the key to be generated.
    func lookUpRemotely(_ misses: [PendingGeneration]) async -> [Digest: ActionRecord] {
        guard let remote = runner.remote, remote.readable, !misses.isEmpty else { return [:] }
        let keys = Array(Set(misses.map(\.request.key)))
        return await withTaskGroup(of: ActionRecord?.self) { group in
            for key in keys { group.addTask { await remote.record(for: key) } }
            var records: [Digest: ActionRecord] = [:]
            for await record in group {
                if let record { records[record.generation.key] = record }
            }
            return records
        }
    }

    /// Downloads the outputs of the links decided from remote records (up to 8 at once), verifies each, and stores
    /// what verified with the run's links in one transaction, before anything that needs them is generated.
    ///
    /// A link whose output does not arrive or verify is generated instead, and the links decided after it (their
    /// keys came from its recorded output) are forgotten: they are decided again once it is generated.
    /// - Returns: The forgotten nodes.
    mutating func receiveRemoteOutputs(
        _ fetched: [(PendingGeneration, ActionRecord)], waiting: inout [PendingGeneration],
        followers: inout [Digest: [PendingGeneration]]
    ) async throws -> Set<NodeID> {
        guard let remote = runner.remote else { return [] }
        var unique: [Digest: ActionRecord] = [:]
        for (_, record) in fetched { unique[record.generation.key] = record }
        let records = Array(unique.values)
        let received: [Digest: ReceivedGeneration] = await withTaskGroup(of: ReceivedGeneration?.self) { group in
            var next = 0
            func start() {
                let record = records[next]
                group.addTask { try? await remote.output(of: record) }
                next += 1
            }
            while next < min(8, records.count) { start() }
            var result: [Digest: ReceivedGeneration] = [:]
            for await generation in group {
                if let generation { result[generation.generation.key] = generation }
                if next < records.count { start() }
            }
            return result
        }
        // Everything downstream of a link whose output did not come is decided again later.
        let failed = fetched.map(\.0).filter { received[$0.request.key] == nil }
        var invalid: Set<NodeID> = []
        var queue = failed.flatMap { prepared.graph.downstream(of: $0.node) }
        while let node = queue.popLast() {
            if invalid.insert(node).inserted { queue += prepared.graph.downstream(of: node) }
        }
        for node in invalid.union(failed.map(\.node)) { links[node] = nil }
        for removed in waiting where invalid.contains(removed.node) {
            let rest = (followers.removeValue(forKey: removed.request.key) ?? []).filter { !invalid.contains($0.node) }
            if let first = rest.first {
                followers[removed.request.key] = Array(rest.dropFirst())
                waiting.append(first)
            }
        }
        waiting.removeAll { invalid.contains($0.node) }
        for key in Array(followers.keys) { followers[key]!.removeAll { invalid.contains($0.node) } }

        let kept = fetched.map(\.0).filter { !invalid.contains($0.node) && received[$0.request.key] != nil }
        let keptKeys = Set(kept.map(\.request.key))
        let linkRecords = kept.map { pending in
            RunLinkRecord(
                node: pending.node.description, position: prepared.graph.position(of: pending.node),
                key: pending.request.key, output: received[pending.request.key]!.generation.output, outcome: .hit,
                reason: nil, error: nil)
        }
        try store.receive(
            received.values.filter { keptKeys.contains($0.generation.key) }, links: linkRecords, runID: runID)
        counts.hits += kept.count
        counts.done += kept.count
        for pending in failed where !invalid.contains(pending.node) {
            if followers[pending.request.key] != nil {
                followers[pending.request.key]!.append(pending)
            } else {
                followers[pending.request.key] = []
                waiting.append(pending)
            }
        }
        return invalid
    }
}
