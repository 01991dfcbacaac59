import Store

/// A paid link is generated once even across processes (docs/STORE-FORMAT.md, "Concurrency"): a run holds the
/// key's lease while it generates, or waits for the holder's commit. The lease dies with its holder, so a run
/// killed with SIGKILL never blocks the next one.
enum KeyLease {
    /// What to do with a key.
    enum Decision {
        /// Another process committed it meanwhile: a hit.
        case reuse(CachedOutput)
        /// This run holds the lease: generate, then commit (which releases it) or release it.
        case generate(Heartbeat)
    }

    /// Renews a held lease until stopped.
    struct Heartbeat {
        let task: Task<Void, Never>
        func stop() { task.cancel() }
    }

    /// How often a waiting run looks again.
    static let pollInterval: Duration = .milliseconds(100)

    /// Takes the lease on `key`, or waits until its live holder commits it (then `.reuse`) or lets it go.
    ///
    /// - Throws: ``StoreError`` when the store fails; `CancellationError` when the task is cancelled while waiting.
    static func acquire(key: Digest, runID: String, store: Store) async throws -> Decision {
        while true {
            if case .acquired = try store.acquireLease(key: key, runID: runID) {
                // Another holder may have committed the key just before this lease was taken.
                if let cached = try store.cachedOutput(for: key) {
                    try store.releaseLease(key: key, runID: runID)
                    return .reuse(cached)
                }
                let task = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Store.leaseDuration / 3)
                        if !Task.isCancelled { _ = try? store.renewLease(key: key, runID: runID) }
                    }
                }
                return .generate(Heartbeat(task: task))
            }
            if let cached = try store.cachedOutput(for: key) { return .reuse(cached) }
            try await Task.sleep(for: pollInterval)
        }
    }
}
