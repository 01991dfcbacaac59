import AsyncHTTPClient
import Chain
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The HTTP methods the backends use.
enum HTTPMethod: String, Sendable {
    case GET, POST
}

/// A response received in full.
struct HTTPReply: Sendable {
    /// The status code.
    let status: Int
    /// The response headers, names lowercased.
    let headers: [String: String]
    /// The body, at most ``ProviderHTTP/maxResponseBytes`` long.
    let body: [UInt8]

    /// The value of header `name` (case-insensitive).
    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Whether the status is 2xx.
    var isSuccess: Bool { (200..<300).contains(status) }
}

/// Why an HTTP exchange ended without a response.
enum HTTPFailure: Error, Sendable {
    /// The per-call timeout expired; the server may have processed the request.
    case timedOut
    /// No connection could be made, so the request was never sent.
    case notSent(String)
    /// The exchange broke after the request may have been sent.
    case broken(String)
    /// The response body exceeded ``ProviderHTTP/maxResponseBytes``.
    case tooLarge
}

/// The HTTP calls of one provider, through one process-wide AsyncHTTPClient `HTTPClient`.
///
/// Each call is bounded by a deadline covering the whole exchange (head and body), honours task
/// cancellation, and reads at most 64 MB (the body is collected with a limit, so a larger one is refused
/// without being held). Redirects are followed here rather than by the client, so that credentials never
/// travel to another origin. Headers are never logged or put into errors: they carry the credentials.
///
/// AsyncHTTPClient (SwiftNIO) rather than Foundation's `URLSession`: `FoundationNetworking` links libcurl
/// and some thirty libraries that the dynamic loader resolves at every start of the binary, even for
/// `framechain --version`; SwiftNIO is the HTTP stack the proxy and the remote cache use as well.
struct ProviderHTTP: Sendable {
    /// The largest response body accepted.
    static let maxResponseBytes = 64 << 20

    /// The most redirects followed for one call.
    static let maxRedirects = 5

    /// The client shared by every call: no automatic redirects (see ``send(_:_:headers:body:timeout:)``),
    /// no connection retries (a refused connection fails the call at once, as "not sent").
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// The largest response body this instance accepts (``maxResponseBytes`` unless a test asks for less).
    let responseLimit: Int

    init(responseLimit: Int = Self.maxResponseBytes) {
        self.responseLimit = responseLimit
    }

    /// Sends one request and reads the whole response, following up to ``maxRedirects`` redirects.
    ///
    /// A redirect to another origin (scheme, host or port) drops the `Authorization` header; a 303, or a
    /// 301/302 after a POST, continues as a GET without a body.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The absolute URL.
    ///   - headers: Request headers (credentials included); never logged.
    ///   - body: The request body, if any.
    ///   - timeout: The limit for the whole exchange, redirects included.
    /// - Returns: The response, whatever its status.
    /// - Throws: ``HTTPFailure`` or `CancellationError`.
    func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: Duration
    ) async throws -> HTTPReply {
        guard let target = HTTPTarget(url) else { throw HTTPFailure.notSent("not an http(s) URL") }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout / .nanoseconds(1)))
        // The client's deadline covers the wait for the response head; the race with a timer covers the
        // body as well, so the timeout bounds the whole exchange.
        return try await Self.bounded(by: timeout) {
            try await self.following(method, target, headers: headers, body: body, deadline: deadline)
        }
    }

    /// Runs `exchange`, or throws ``HTTPFailure/timedOut`` (cancelling it) once `timeout` has passed.
    static func bounded<Reply: Sendable>(
        by timeout: Duration, _ exchange: @escaping @Sendable () async throws -> Reply
    ) async throws -> Reply {
        try await withThrowingTaskGroup(of: Reply.self) { group in
            group.addTask { try await exchange() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw HTTPFailure.timedOut
            }
            defer { group.cancelAll() }
            do {
                return try await group.next()!
            } catch is CancellationError where !Task.isCancelled {
                throw HTTPFailure.timedOut
            }
        }
    }

    /// Sends the request and follows its redirects.
    private func following(
        _ method: HTTPMethod, _ target: HTTPTarget, headers: [(String, String)], body: [UInt8]?,
        deadline: NIODeadline
    ) async throws -> HTTPReply {
        var target = target
        var method = method
        var headers = headers
        var body = body
        var redirects = 0
        while true {
            let reply = try await exchange(method, target.text, headers: headers, body: body, deadline: deadline)
            guard redirects < Self.maxRedirects,
                let next = target.redirected(status: reply.status, location: reply.header("location"), headers: &headers)
            else { return reply }
            redirects += 1
            if reply.status == 303 || (method == .POST && (reply.status == 301 || reply.status == 302)) {
                method = .GET
                body = nil
                headers.removeAll { ["content-type", "content-length"].contains($0.0.lowercased()) }
            }
            target = next
        }
    }

    /// One request and its response, without redirects.
    private func exchange(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8]?, deadline: NIODeadline
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = NIOHTTP1.HTTPMethod(rawValue: method.rawValue)
        request.headers.add(name: "User-Agent", value: "framechain/\(FrameChainVersion.current)")
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.body = .bytes(body)
        }
        do {
            let response = try await Self.client.execute(request, deadline: deadline)
            var names: [String: String] = [:]
            for (name, value) in response.headers {
                let key = name.lowercased()
                names[key] = names[key].map { "\($0), \(value)" } ?? value
            }
            let collected = try await response.body.collect(upTo: responseLimit)
            return HTTPReply(status: Int(response.status.code), headers: names, body: Array(buffer: collected))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Self.classify(error)
        }
    }

    /// Tells a failure to connect (nothing sent) from a timeout and from a broken exchange.
    static func classify(_ error: any Error) -> HTTPFailure {
        if error is NIOTooManyBytesError { return .tooLarge }
        if error is NIOConnectionError { return .notSent("could not connect") }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) {
            return .notSent("could not connect (\(error.errnoCode == ECONNREFUSED ? "refused" : "unreachable"))")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .timedOut
            case .connectTimeout, .tlsHandshakeTimeout, .invalidURL, .emptyHost, .emptyScheme,
                .getConnectionFromPoolTimeout:
                return .notSent(error.shortDescription)
            default:
                return .broken(error.shortDescription)
            }
        }
        if error is NIOSSLError { return .notSent("TLS handshake failed") }
        return .broken(String(describing: type(of: error)))
    }
}

/// An absolute http(s) URL split into what a redirect compares and resolves against.
struct HTTPTarget: Sendable, Equatable {
    let scheme: String
    let host: String
    let port: Int
    let path: String

    var text: String {
        let defaultPort = scheme == "https" ? 443 : 80
        return port == defaultPort ? "\(scheme)://\(host)\(path)" : "\(scheme)://\(host):\(port)\(path)"
    }

    /// Parses `url`; a relative reference (`/path` or `path`) resolves against `base`.
    init?(_ url: String, relativeTo base: HTTPTarget? = nil) {
        if let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() {
            guard scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else { return nil }
            self.scheme = scheme
            self.host = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            self.port = components.port ?? (scheme == "https" ? 443 : 80)
            var path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            if let query = components.percentEncodedQuery { path += "?" + query }
            self.path = path
        } else if let base, !url.isEmpty, !url.hasPrefix("//") {
            self.scheme = base.scheme
            self.host = base.host
            self.port = base.port
            if url.hasPrefix("/") {
                self.path = url
            } else {
                let directory = base.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
                self.path = String(directory[...(directory.lastIndex(of: "/") ?? directory.startIndex)]) + url
            }
        } else {
            return nil
        }
    }

    func isSameOrigin(as other: HTTPTarget) -> Bool {
        scheme == other.scheme && host == other.host && port == other.port
    }

    /// Where a reply with `status` and `location` sends the request next, or `nil` when it is not a redirect to
    /// follow; `headers` lose `Authorization` when the next hop is another origin.
    func redirected(status: Int, location: String?, headers: inout [(String, String)]) -> HTTPTarget? {
        guard [301, 302, 303, 307, 308].contains(status), let location,
            let next = HTTPTarget(location, relativeTo: self)
        else { return nil }
        if !next.isSameOrigin(as: self) { headers.removeAll { $0.0.lowercased() == "authorization" } }
        return next
    }
}

private extension HTTPClientError {
    /// A description without the request (which may carry credentials in its URL).
    var shortDescription: String {
        switch self {
        case .connectTimeout: "connection timed out"
        case .tlsHandshakeTimeout: "TLS handshake timed out"
        case .invalidURL, .emptyHost, .emptyScheme: "invalid URL"
        case .remoteConnectionClosed: "connection closed by the server"
        case .getConnectionFromPoolTimeout: "no connection available"
        default: "HTTP client error"
        }
    }
}

extension HTTPReply {
    /// The wait the server asked for, from `retry-after-ms` (milliseconds) or `Retry-After` (seconds
    /// or an HTTP date), in seconds.
    var retryAfter: Double? {
        if let text = header("retry-after-ms"), let milliseconds = Double(text), milliseconds >= 0 {
            return milliseconds / 1000
        }
        guard let text = header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(text), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}

extension ProviderHTTP {
    /// A GET (safe to repeat) retried on transient failures per `policy`.
    ///
    /// Used once paid work exists (polling a prediction, downloading an output): retrying the whole
    /// generation then would pay twice, so the final failure is returned as permanent.
    ///
    /// - Returns: The 2xx reply.
    /// - Throws: A permanent ``GeneratorError`` naming `action`, or `CancellationError`.
    func getRetrying(
        _ url: String, headers: [(String, String)], timeout: Duration, policy: RetryPolicy, provider: String,
        action: String
    ) async throws -> HTTPReply {
        try await retrying(timeout: timeout, policy: policy, provider: provider, action: action) {
            let reply = try await send(.GET, url, headers: headers, timeout: timeout)
            return reply.isSuccess
                ? .success(reply) : .failure(ProviderFailure.status(reply, from: provider, context: " \(action)"))
        }
    }

    /// Runs `exchange` (a request safe to repeat) until it succeeds, retrying transient failures per `policy`;
    /// the final failure is permanent (see ``getRetrying(_:headers:timeout:policy:provider:action:)``).
    func retrying<Reply>(
        timeout: Duration, policy: RetryPolicy, provider: String, action: String,
        _ exchange: () async throws -> Result<Reply, GeneratorError>
    ) async throws -> Reply {
        var random = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            let error: GeneratorError
            do {
                switch try await exchange() {
                case .success(let reply): return reply
                case .failure(let failure): error = failure
                }
            } catch let failure as HTTPFailure {
                error = ProviderFailure.exchange(
                    failure, provider: provider, action: action, timeout: timeout, mayHaveStarted: false)
            }
            guard error.isTransient, attempt <= policy.maxRetries,
                let wait = policy.delay(beforeRetry: attempt, retryAfter: error.retryAfter, using: &random)
            else {
                var final = RetryingGenerator.annotated(error, attempts: attempt)
                final.isTransient = false
                final.retryAfter = nil
                throw final
            }
            try await Task.sleep(for: wait)
            attempt += 1
        }
    }
}
