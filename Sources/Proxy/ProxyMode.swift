/// What `framechain serve` does with a request whose key is not in the store.
public enum ProxyMode: String, Sendable, CaseIterable {
    /// Answer hits from the store, forward misses upstream and record their outputs.
    case record
    /// Never touch the network: a miss is a problem+json error naming the key.
    case replay
    /// Forward everything and record nothing.
    case passthrough
}
