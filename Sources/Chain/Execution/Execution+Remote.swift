import Store

extension Execution {
    /// Looks every local miss up on the remote cache at once (one record and one blob request per key, in
    /// parallel), stores what verifies with the run's links in one transaction, and returns the output per key.
    ///
    /// Nothing is asked when there is no readable remote. Misses, rejections and an unavailable remote are noted
    /// by the session and leave the key to be generated.
    mutating func receiveFromRemote(_ misses: [PendingGeneration]) async throws -> [Digest: (digest: Digest, mediaType: MediaType)] {
        guard let remote = runner.remote, remote.readable, !misses.isEmpty else { return [:] }
        let keys = Array(Set(misses.map(\.request.key)))
        let received = await withTaskGroup(of: ReceivedGeneration?.self) { group in
            for key in keys { group.addTask { await remote.fetch(key) } }
            var all: [ReceivedGeneration] = []
            for await generation in group { if let generation { all.append(generation) } }
            return all
        }
        guard !received.isEmpty else { return [:] }
        let byKey = Dictionary(received.map { ($0.generation.key, $0) }, uniquingKeysWith: { first, _ in first })
        let records = misses.compactMap { pending -> RunLinkRecord? in
            guard let generation = byKey[pending.request.key]?.generation else { return nil }
            return RunLinkRecord(
                node: pending.node.description, position: prepared.graph.position(of: pending.node),
                key: pending.request.key, output: generation.output, outcome: .hit, reason: nil, error: nil)
        }
        let outputs = try store.receive(received, links: records, runID: runID)
        var result: [Digest: (digest: Digest, mediaType: MediaType)] = [:]
        for (key, output) in outputs {
            let mediaType =
                output == byKey[key]?.generation.output
                ? MediaType.sniff(byKey[key]!.bytes) : (try? store.blob(for: output))?.mediaType
            result[key] = (output, mediaType ?? .png)
        }
        return result
    }
}
