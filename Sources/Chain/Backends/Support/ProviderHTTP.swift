import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A response received in full.
struct HTTPReply: Sendable {
    /// The status code.
    let status: Int
    /// The response headers.
    let headers: HTTPHeaders
    /// The body, at most ``ProviderHTTP/maxResponseBytes`` long.
    let body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    func header(_ name: String) -> String? { headers.first(name: name) }

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

/// The HTTP calls of one provider, through the process-wide shared `HTTPClient`.
///
/// Each call is bounded by a timeout covering the whole exchange (head and body), honours task
/// cancellation (AsyncHTTPClient cancels the request), and reads at most 64 MB. Headers are never
/// logged or put into errors: they carry the credentials.
struct ProviderHTTP: Sendable {
    /// The largest response body accepted.
    static let maxResponseBytes = 64 << 20

    /// The client; `HTTPClient.shared` unless a test injects one.
    let client: HTTPClient

    init(client: HTTPClient = .shared) {
        self.client = client
    }

    /// Sends one request and reads the whole response.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The absolute URL.
    ///   - headers: Request headers (credentials included); never logged.
    ///   - body: The request body, if any.
    ///   - timeout: The limit for the whole exchange.
    /// - Returns: The response, whatever its status.
    /// - Throws: ``HTTPFailure`` or `CancellationError`.
    func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: Duration
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "framechain/\(FrameChainVersion.current)")
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.body = .bytes(body)
        }
        let client = self.client
        let prepared = request
        let (seconds, attoseconds) = timeout.components
        let deadline = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return try await withThrowingTaskGroup(of: HTTPReply.self) { group in
            group.addTask {
                do {
                    // AsyncHTTPClient's deadline covers connecting and the response head (a refused
                    // connection is retried until it passes); the sleeper below covers the body too.
                    let response = try await client.execute(prepared, timeout: deadline)
                    let buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
                    return HTTPReply(
                        status: Int(response.status.code), headers: response.headers,
                        body: Array(buffer.readableBytesView))
                } catch is NIOTooManyBytesError {
                    throw HTTPFailure.tooLarge
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    throw Self.classify(error)
                }
            }
            group.addTask {
                // A little later than AsyncHTTPClient's deadline, so that one reports the cause
                // (refused connection or no reply) when the head never came.
                try await Task.sleep(for: timeout + .seconds(1))
                throw HTTPFailure.timedOut
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// Tells a failure to connect (nothing sent) from a broken exchange.
    private static func classify(_ error: any Error) -> HTTPFailure {
        if let error = error as? HTTPClientError {
            if error == .connectTimeout || error == .getConnectionFromPoolTimeout || error == .tlsHandshakeTimeout {
                return .notSent("\(error)")
            }
            if error == .deadlineExceeded {
                return .timedOut
            }
            return .broken("\(error)")
        }
        // NIOPosix reports refused or unreachable connections as `NIOConnectionError` (or an
        // `IOError` from `connect`); both mean the request never left.
        let typeName = String(reflecting: type(of: error))
        if typeName.hasSuffix("NIOConnectionError") || typeName.hasSuffix("SingleConnectionFailure") {
            return .notSent("connection failed")
        }
        if let error = error as? IOError, error.description.contains("connect") {
            return .notSent(error.description)
        }
        return .broken("\(error)")
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
        var random = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            let error: GeneratorError
            do {
                let reply = try await send(.GET, url, headers: headers, timeout: timeout)
                if reply.isSuccess { return reply }
                error = ProviderFailure.status(reply, from: provider, context: " \(action)")
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
