import Chain
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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

/// The HTTP calls of one provider, through one process-wide `URLSession`.
///
/// Each call is bounded by a timeout covering the whole exchange (head and body), honours task
/// cancellation (the data task is cancelled), and reads at most 64 MB: the body is streamed through a
/// delegate that cancels the transfer once it passes the limit. Headers are never logged or put into
/// errors: they carry the credentials.
///
/// Foundation's `URLSession` rather than AsyncHTTPClient: the backends need plain request/response
/// exchanges with a deadline and cancellation, which `URLSession` provides on Linux and macOS without
/// adding SwiftNIO, BoringSSL and their dependencies to every build (most of a clean build's time, and
/// the source of a dependency's packaging warning).
struct ProviderHTTP: Sendable {
    /// The largest response body accepted.
    static let maxResponseBytes = 64 << 20

    /// The session shared by every call; its delegate routes each transfer's events to its caller.
    private static let transfers = TransferDelegate()
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        return URLSession(configuration: configuration, delegate: transfers, delegateQueue: nil)
    }()

    init() {}

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
        guard let target = URL(string: url), target.scheme == "http" || target.scheme == "https" else {
            throw HTTPFailure.notSent("not an http(s) URL")
        }
        let (seconds, attoseconds) = timeout.components
        var request = URLRequest(url: target)
        request.httpMethod = method.rawValue
        request.timeoutInterval = max(1, Double(seconds) + Double(attoseconds) / 1e18)
        request.setValue("framechain/\(FrameChainVersion.current)", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers {
            request.addValue(value, forHTTPHeaderField: name)
        }
        if let body {
            request.httpBody = Data(body)
        }
        let prepared = request
        return try await withThrowingTaskGroup(of: HTTPReply.self) { group in
            group.addTask {
                do {
                    return try await Self.transfers.perform(prepared, in: Self.session)
                } catch let failure as HTTPFailure {
                    throw failure
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    throw Self.classify(error)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw HTTPFailure.timedOut
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// Tells a failure to connect (nothing sent) from a broken exchange.
    private static func classify(_ error: any Error) -> HTTPFailure {
        guard let error = error as? URLError else { return .broken("\(error)") }
        switch error.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet,
            .secureConnectionFailed, .unsupportedURL, .badURL:
            return .notSent(error.localizedDescription)
        case .timedOut:
            return .timedOut
        default:
            return .broken(error.localizedDescription)
        }
    }
}

/// Collects each data task's response and body and hands them to the waiting caller.
///
/// One delegate serves the shared session; its state is behind a mutex because URLSession calls it on its
/// own queue.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // Safety: `transfers` is a Mutex; the class has no other stored state.
    private struct Transfer {
        var continuation: CheckedContinuation<HTTPReply, any Error>
        var response: HTTPURLResponse?
        var body: [UInt8] = []
        var tooLarge = false
    }

    private let transfers = Mutex<[Int: Transfer]>([:])

    /// Runs `request` as a data task, cancelling it when the calling task is cancelled.
    func perform(_ request: URLRequest, in session: URLSession) async throws -> HTTPReply {
        let task = session.dataTask(with: request)
        let identifier = task.taskIdentifier
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfers.withLock { $0[identifier] = Transfer(continuation: continuation) }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        transfers.withLock { $0[dataTask.taskIdentifier]?.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overLimit = transfers.withLock { transfers -> Bool in
            guard var transfer = transfers[dataTask.taskIdentifier] else { return false }
            if transfer.body.count + data.count > ProviderHTTP.maxResponseBytes {
                transfer.tooLarge = true
                transfer.body = []
            } else {
                transfer.body.append(contentsOf: data)
            }
            transfers[dataTask.taskIdentifier] = transfer
            return transfer.tooLarge
        }
        if overLimit { dataTask.cancel() }
    }

    /// Follows redirects, but never carries credentials to another origin.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        var next = request
        let from = task.originalRequest?.url
        let to = request.url
        if from?.scheme != to?.scheme || from?.host != to?.host || from?.port != to?.port {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let transfer = transfers.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        if transfer.tooLarge {
            transfer.continuation.resume(throwing: HTTPFailure.tooLarge)
        } else if let error {
            transfer.continuation.resume(throwing: error)
        } else if let response = transfer.response {
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            transfer.continuation.resume(
                returning: HTTPReply(status: response.statusCode, headers: headers, body: transfer.body))
        } else {
            transfer.continuation.resume(throwing: HTTPFailure.broken("no HTTP response"))
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
