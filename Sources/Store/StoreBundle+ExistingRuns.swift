/// What `import` does with a bundle's run whose id the store already has: nothing when the content is the same,
/// a refusal when it differs, or a new id when asked (`--rename`).
extension StoreBundle {
    /// How a bundle's run compares with the store's run of the same id.
    enum ExistingRun: Equatable {
        /// The same plan, initial reference, takes, times, status and links: importing it changes nothing.
        case identical
        /// Something differs; the associated text says what (`its finish time differs`).
        case different(String)
    }

    /// Compares a bundle run (and its links) with the store's run of the same id.
    ///
    /// - Returns: `nil` when the store has no run with that id.
    static func existingRun(_ run: RunRecord, links: [RunLinkRecord], in store: Store) throws(StoreError)
        -> ExistingRun?
    {
        guard let local = try store.run(id: run.id) else { return nil }
        func settled(_ status: RunStatus) -> RunStatus { status == .running ? .interrupted : status }
        let fields: [(String, Bool)] = [
            ("plan name", local.planName == run.planName), ("plan", local.plan == run.plan),
            ("initial reference", local.initialReference == run.initialReference), ("takes", local.takes == run.takes),
            ("start time", local.startedAt == run.startedAt), ("finish time", local.finishedAt == run.finishedAt),
            ("status", settled(local.status) == settled(run.status)),
        ]
        if let field = fields.first(where: { !$0.1 }) { return .different("its \(field.0) differs") }
        func summary(_ links: [RunLinkRecord]) -> [String] {
            links.map { "\($0.node) \($0.key?.description ?? "-") \($0.output?.description ?? "-") \($0.outcome)" }
                .sorted()
        }
        let localLinks = try store.links(ofRun: run.id)
        guard summary(localLinks) == summary(links) else { return .different("its links differ") }
        return .identical
    }

    /// The first of `id-2`, `id-3`, … that no run in the store has (for `import --rename`).
    static func freshID(for id: String, in store: Store) throws(StoreError) -> String {
        var number = 2
        while try store.run(id: "\(id)-\(number)") != nil { number += 1 }
        return "\(id)-\(number)"
    }

    /// `contents` with every run the store already has settled: identical runs dropped, different ones renamed
    /// (with `renaming`) or refused.
    ///
    /// - Returns: The contents to import, the ids left out as identical, and the renamings (old id → new id).
    /// - Throws: ``StoreError`` `integrity` for a run whose id the store has with other content, without `renaming`.
    static func settlingExistingRuns(
        _ contents: Contents, bundle path: String, in store: Store, renaming: Bool
    ) throws(StoreError) -> (contents: Contents, unchanged: [String], renamed: [String: String]) {
        var unchanged: [String] = []
        var renamed: [String: String] = [:]
        for run in contents.runs {
            let links = contents.links.filter { $0.0 == run.id }.map(\.1)
            switch try existingRun(run, links: links, in: store) {
            case nil: continue
            case .identical: unchanged.append(run.id)
            case .different(let field):
                guard renaming else {
                    throw StoreError(
                        code: .integrity,
                        message: "\(path): run \(run.id) already exists in the store with different content ("
                            + "\(field)); nothing was imported. Use --rename to import it under a new id")
                }
                renamed[run.id] = try freshID(for: run.id, in: store)
            }
        }
        var result = contents
        result.runs = contents.runs.compactMap { run in
            if unchanged.contains(run.id) { return nil }
            guard let id = renamed[run.id] else { return run }
            return RunRecord(
                id: id, planName: run.planName, plan: run.plan, planPath: run.planPath,
                initialReference: run.initialReference, takes: run.takes, startedAt: run.startedAt,
                finishedAt: run.finishedAt, status: run.status, mode: run.mode, processID: run.processID)
        }
        result.links = contents.links.compactMap { runID, link in
            unchanged.contains(runID) ? nil : (renamed[runID] ?? runID, link)
        }
        return (result, unchanged, renamed)
    }
}
