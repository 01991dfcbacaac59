/// How `framechain serve` runs.
public struct ProxyConfiguration: Sendable {
    /// The address to listen on (`127.0.0.1` unless told otherwise).
    public var host: String
    /// The port (0 picks a free one).
    public var port: Int
    /// What to do with misses.
    public var mode: ProxyMode
    /// Replicate's API base, without `/v1`.
    public var upstreamReplicate: String
    /// OpenAI's API base, with `/v1`.
    public var upstreamOpenAI: String
    /// The token clients must present (`Authorization: Bearer …`) when set; the upstream calls then use
    /// ``upstreamTokens`` instead of the client's header.
    public var clientToken: String?
    /// The provider tokens used upstream when ``clientToken`` is set: `replicate` and `openai`.
    public var upstreamTokens: [String: String]
    /// The largest request body accepted, in bytes.
    public var maxBodyBytes: Int
    /// How long a connection may stay silent (headers or body not arriving) before it is closed.
    public var idleTimeoutSeconds: Int

    /// The default upstreams: the real APIs.
    public static let defaultReplicate = "https://api.replicate.com"
    /// The default OpenAI upstream.
    public static let defaultOpenAI = "https://api.openai.com/v1"

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 8787, mode: ProxyMode = .record,
        upstreamReplicate: String = defaultReplicate, upstreamOpenAI: String = defaultOpenAI,
        clientToken: String? = nil, upstreamTokens: [String: String] = [:], maxBodyBytes: Int = 64 << 20,
        idleTimeoutSeconds: Int = 30
    ) {
        self.host = host
        self.port = port
        self.mode = mode
        self.upstreamReplicate = upstreamReplicate
        self.upstreamOpenAI = upstreamOpenAI
        self.clientToken = clientToken
        self.upstreamTokens = upstreamTokens
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// Whether `host` is a loopback address (`127.x.y.z`, `::1`, `localhost`).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
