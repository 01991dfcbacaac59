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

    /// Starts downloading (and verifying) the output an action record names, unless it is already on its way.
    ///
    /// The download runs beside the walk through the records: the links after this one are decided from its record
    /// alone, so the chains go on while the bytes come. Eight run at once (``downloadSlots``); the others wait
    /// their turn before they start.
    mutating func startDownload(of record: ActionRecord) {
        guard let remote = runner.remote, downloads[record.generation.key] == nil else { return }
        let slots = downloadSlots
        downloads[record.generation.key] = Task {
            await slots.run { Task.isCancelled ? nil : try? await remote.output(of: record) }
        }
    }

    /// Awaits the downloads of the links decided from remote records, and stores what verified with the run's links
    /// in one transaction, before anything that needs them is generated.
    ///
    /// A link whose output does not arrive or verify is generated instead, and the links decided after it (their
    /// keys came from its recorded output) are forgotten: they are decided again once it is generated.
    /// - Returns: The forgotten nodes.
    mutating func receiveRemoteOutputs(
        _ fetched: [(PendingGeneration, ActionRecord)], waiting: inout [PendingGeneration],
        followers: inout [Digest: [PendingGeneration]]
    ) async throws -> Set<NodeID> {
        for (_, record) in fetched { startDownload(of: record) }
        let tasks = fetched.compactMap { downloads.removeValue(forKey: $0.1.generation.key) }
        let received = await withTaskCancellationHandler {
            var received: [Digest: ReceivedGeneration] = [:]
            for task in tasks {
                if let generation = await task.value { received[generation.generation.key] = generation }
            }
            return received
        } onCancel: {
            for task in tasks { task.cancel() }
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
