import AsyncHTTPClient
import Chain
import Foundation
import NIOCore
import NIOHTTP1
import Store
import Synchronization

/// A remote cache on Bazel's HTTP remote-cache protocol: blobs at `{base}/cas/<sha256 hex>`, action records at
/// `{base}/ac/<key hex>`, read with `GET`/`HEAD` and written with `PUT` (nginx WebDAV, bazel-remote, BuildBuddy…;
/// docs/REMOTE.md).
///
/// Credentials come from the environment only (``tokenVariable``) and are sent on every request, never stored or
/// printed; redirects are not followed, so they never reach another origin. A request that fails to connect,
/// times out or gets a 5xx is retried with backoff (a 5xx up to `attempts` times, a transport failure once, as the
/// connection pool already retries connecting for the 2 s connect timeout); then the cache reports itself
/// ``RemoteCacheError/Kind/unavailable``.
public struct HTTPRemoteCache: RemoteCache {
    /// The environment variable holding the credential: a bearer token, or `user:password` for basic auth.
    public static let tokenVariable = "FRAMECHAIN_REMOTE_TOKEN"

    /// The base URL, without a trailing slash.
    let base: String
    private let authorization: String?
    private let timeout: TimeAmount
    private let attempts: Int
    private let counter: RequestCounter

    /// The address as it may be shown.
    public let displayAddress: String

    /// Creates a client of the remote at `address`.
    ///
    /// - Parameters:
    ///   - address: An `http` or `https` URL, e.g. `http://127.0.0.1:8080/cache`; it must not hold a user or
    ///     password (use ``tokenVariable``).
    ///   - environment: Where the credential is read from.
    ///   - timeout: The most one request may take.
    ///   - attempts: How many times a request is tried on a transport failure or a 5xx.
    /// - Throws: ``RemoteAddressError`` for a URL that is not usable.
    public init(
        address: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(30), attempts: Int = 3
    ) throws(RemoteAddressError) {
        guard let components = URLComponents(string: address), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { throw RemoteAddressError("\(address): expected an http:// or https:// URL") }
        guard components.user == nil, components.password == nil else {
            throw RemoteAddressError(
                "the remote URL must not hold a user or password; set \(Self.tokenVariable) instead")
        }
        guard components.query == nil, components.fragment == nil else {
            throw RemoteAddressError("\(address): a remote URL has no query or fragment")
        }
        var trimmed = address
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        base = trimmed
        displayAddress = trimmed
        let token = environment[Self.tokenVariable].flatMap { $0.isEmpty ? nil : $0 }
        if let token {
            authorization =
                token.contains(":")
                ? "Basic " + Data(token.utf8).base64EncodedString() : "Bearer " + token
        } else {
            authorization = nil
        }
        let (seconds, attoseconds) = timeout.components
        self.timeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        self.attempts = max(1, attempts)
        counter = RequestCounter()
    }

    /// How many requests this cache has sent, by method (`GET`, `HEAD`, `PUT`), retries included.
    public var requestCounts: [String: Int] { counter.counts }

    // MARK: - RemoteCache

    public func actionRecord(for key: Digest) async throws(RemoteCacheError) -> [UInt8]? {
        try await get("ac/" + key.hexString)
    }

    public func blob(_ digest: Digest) async throws(RemoteCacheError) -> [UInt8]? {
        try await get("cas/" + digest.hexString)
    }

    public func containsBlob(_ digest: Digest) async throws(RemoteCacheError) -> Bool {
        try await head("cas/" + digest.hexString)
    }

    public func containsActionRecord(for key: Digest) async throws(RemoteCacheError) -> Bool {
        try await head("ac/" + key.hexString)
    }

    public func putBlob(_ digest: Digest, bytes: [UInt8]) async throws(RemoteCacheError) {
        try await put("cas/" + digest.hexString, bytes: bytes)
    }

    public func putActionRecord(for key: Digest, bytes: [UInt8]) async throws(RemoteCacheError) {
        try await put("ac/" + key.hexString, bytes: bytes)
    }

    // MARK: - Requests

    /// The largest body read (a blob or a record).
    static let maximumBodySize = 1 << 30

    private func get(_ path: String) async throws(RemoteCacheError) -> [UInt8]? {
        let (status, body) = try await send(.GET, path, bytes: nil)
        switch status.code {
        case 200: return body
        case 404: return nil
        default: throw unexpected(status, .GET, path)
        }
    }

    private func head(_ path: String) async throws(RemoteCacheError) -> Bool {
        let (status, _) = try await send(.HEAD, path, bytes: nil)
        switch status.code {
        case 200: return true
        case 404: return false
        default: throw unexpected(status, .HEAD, path)
        }
    }

    private func put(_ path: String, bytes: [UInt8]) async throws(RemoteCacheError) {
        let (status, _) = try await send(.PUT, path, bytes: bytes)
        guard (200..<300).contains(status.code) else { throw unexpected(status, .PUT, path) }
    }

    private func unexpected(_ status: HTTPResponseStatus, _ method: HTTPMethod, _ path: String) -> RemoteCacheError {
        let answer = "\(method.rawValue) \(path) answered HTTP \(status.code) \(status.reasonPhrase)"
        switch status.code {
        case 401, 403:
            // Said plainly: the usual cause is a missing or wrong credential, not a server that is down.
            let credential = authorization == nil ? "no \(Self.tokenVariable) is set" : "check \(Self.tokenVariable)"
            return RemoteCacheError(.unavailable, "\(answer): the remote refused the credentials (\(credential))")
        default:
            return RemoteCacheError(.unavailable, answer)
        }
    }

    /// Sends one request, retrying transport failures and 5xx answers with exponential backoff and jitter.
    private func send(
        _ method: HTTPMethod, _ path: String, bytes: [UInt8]?
    ) async throws(RemoteCacheError) -> (HTTPResponseStatus, [UInt8]) {
        var request = HTTPClientRequest(url: base + "/" + path)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let bytes {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        var lastFailure = ""
        var transportFailures = 0
        for attempt in 1...attempts {
            if attempt > 1 {
                let delay = 100 * (1 << (attempt - 2))
                try? await Task.sleep(for: .milliseconds(delay + Int.random(in: 0...delay / 2)))
            }
            counter.add(method.rawValue)
            do {
                let response = try await Self.client.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: Self.maximumBodySize)
                if response.status.code >= 500 {
                    lastFailure =
                        "\(method.rawValue) \(path) answered HTTP \(response.status.code) \(response.status.reasonPhrase)"
                    continue
                }
                return (response.status, Array(body.readableBytesView))
            } catch is CancellationError {
                throw RemoteCacheError(.unavailable, "cancelled")
            } catch {
                lastFailure = "\(method.rawValue) \(path): \(Self.describe(error))"
                // The connection pool already retries connecting until the connect timeout: a transport failure is
                // tried once more, not `attempts` times, so a remote that is down costs seconds, not minutes.
                transportFailures += 1
                if transportFailures >= 2 { break }
            }
        }
        throw RemoteCacheError(.unavailable, lastFailure)
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        let text = String(describing: error)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    /// One client for the process: connection pooling across requests, no redirects, a connect timeout. It lives as
    /// long as the process, so it is never shut down.
    ///
    /// The pool keeps retrying to establish a connection until the connect timeout: with that off, one refused
    /// attempt would fail every request queued for the host (AsyncHTTPClient's pool), so a brief hiccup would give
    /// the remote up for the whole run.
    private static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2), read: .seconds(60))))
}

/// A remote address that cannot be used.
public struct RemoteAddressError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with it.
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Counts requests by method, across tasks.
final class RequestCounter: Sendable {
    private let state = Mutex<[String: Int]>([:])

    func add(_ method: String) { state.withLock { $0[method, default: 0] += 1 } }

    var counts: [String: Int] { state.withLock { $0 } }
}
