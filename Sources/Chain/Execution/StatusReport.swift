import Store

/// What `status` predicts for one link.
public enum LinkState: String, Sendable, Hashable {
    /// The generation is stored; the next run reuses it.
    case cached
    /// The next run generates it (see the reason).
    case regenerate
    /// It waits on a regenerating upstream link; its key is known only once that link has run.
    case pending
}

/// One link of a status report.
public struct LinkStatus: Sendable, Hashable {
    /// The node.
    public let node: NodeID
    /// The prediction.
    public let state: LinkState
    /// The key, or `nil` while pending.
    public let key: Digest?
    /// Why it regenerates or waits; `nil` when cached.
    public let reason: String?
    /// The enhanced prompt.
    public let prompt: String
    /// The stored output, when cached.
    public let output: Digest?
    /// The resolved model version of the stored generation, when cached and reported.
    public let modelVersion: String?
    /// Whether the generation is not in the local store but on the remote cache (`cached (remote)`): the next run
    /// downloads it instead of generating it.
    public var remote: Bool = false
    /// The stored generation's origin (`remote` when it was fetched from a remote cache), when cached locally.
    public var origin: String? = nil
}

/// The dry run of a plan: what the next `run` would do, link by link.
public struct StatusReport: Sendable {
    /// The plan's name.
    public let planName: String
    /// Every link, in plan order.
    public let links: [LinkStatus]
    /// Things worth knowing that do not stop a run (e.g. generations from different model versions).
    public let warnings: [String]
    /// What the next run is expected to cost and what the cache saves, when the plan has a `pricing` table.
    public var cost: CostEstimate? = nil

    /// The links that are not cached.
    public var misses: [LinkStatus] { links.filter { $0.state != .cached } }
}
