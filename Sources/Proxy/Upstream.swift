import AsyncHTTPClient
import Formats
import Foundation
import NIOCore
import NIOHTTP1

/// The upstream APIs, called with AsyncHTTPClient. Nothing here retries: an upstream 429/5xx is passed to the client
/// as the real API sent it (with its `Retry-After`), so the client's own retry policy stays in charge.
final class Upstream: Sendable {
    /// `https://api.replicate.com` or a stand-in (no `/v1`).
    let replicateBase: String
    /// `https://api.openai.com/v1` or a stand-in (with `/v1`).
    let openAIBase: String
    let client: HTTPClient
    /// How long one upstream HTTP call may take.
    let timeout: TimeAmount
    /// How long a prediction may take in all, polls included.
    let maxWait: Duration
    /// The pause between polls of an unfinished prediction.
    let pollInterval: Duration
    /// The largest upstream body read (an image, a JSON answer).
    static let maxBody = 256 << 20

    init(replicateBase: String, openAIBase: String, timeout: TimeAmount = .seconds(120)) {
        self.replicateBase = Self.trimmed(replicateBase)
        self.openAIBase = Self.trimmed(openAIBase)
        self.timeout = timeout
        self.maxWait = .seconds(1800)
        self.pollInterval = .milliseconds(250)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: timeout)
        // The pool retries establishing a connection until the connect timeout (a refused upstream is a 502 after
        // 10 s): with that off, one failed attempt would fail every request queued for the host at once.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private static func trimmed(_ base: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// One HTTP exchange; transport failures become a 502/504 problem answer (never a retry).
    func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8]? = nil
    ) async throws(UpstreamReply) -> UpstreamReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: Self.maxBody)
            return UpstreamReply(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: bytes))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .problem(
                504, "Gateway Timeout",
                "the upstream API did not answer within \(timeout.nanoseconds / 1_000_000_000) s")
        } catch {
            throw .problem(502, "Bad Gateway", "the upstream API could not be reached (\(Self.describe(error)))")
        }
    }

    /// A short description of a transport error that never quotes headers.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return error.shortDescription }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return String(describing: type(of: error))
    }

    /// The headers of an upstream answer worth passing on to the client.
    static func passedHeaders(_ headers: [(String, String)]) -> [(String, String)] {
        let kept: Set<String> = ["content-type", "retry-after", "retry-after-ms", "x-should-retry", "x-request-id"]
        return headers.filter { kept.contains($0.0.lowercased()) }
    }

    /// Downloads an output image (without credentials: output URLs are public, and a token must not follow them).
    func download(_ url: String) async throws(UpstreamReply) -> [UInt8] {
        if url.hasPrefix("data:") {
            guard let image = try? ReplicateKeys.decodeDataURI(url, field: "output") else {
                throw .problem(502, "Bad Gateway", "the upstream output data: URI is not an image")
            }
            return image.bytes
        }
        let reply = try await send(.GET, url, headers: [])
        guard reply.status == 200 else {
            throw .problem(502, "Bad Gateway", "downloading the upstream output answered HTTP \(reply.status)")
        }
        guard ProxyImage(bytes: reply.body) != nil else {
            throw .problem(502, "Bad Gateway", "the upstream output is not a PNG, JPEG or WebP image")
        }
        return reply.body
    }
}

extension HTTPClientError {
    var shortDescription: String {
        switch self {
        case .connectTimeout: "connect timeout"
        case .remoteConnectionClosed: "connection closed"
        case .readTimeout: "read timeout"
        default: "HTTP client error"
        }
    }
}
