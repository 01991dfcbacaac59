import Chain
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// Downloads straight to a file, for outputs too large to hold in memory (a provider's clip). Kept apart from
// ProviderHTTP's in-memory transfers on purpose: it has its own session and delegate, and is the one piece to swap
// when the HTTP client changes (AsyncHTTPClient's `FileDownloadDelegate` does the same job).

/// How a download to a file ended.
struct DownloadReply: Sendable {
    /// The HTTP status.
    let status: Int
    /// The response headers, names lowercased.
    let headers: [String: String]
    /// How many bytes of body were written to the file.
    let size: Int

    var isSuccess: Bool { (200..<300).contains(status) }
}

extension ProviderHTTP {
    /// The largest output a download to a file accepts.
    static let maxDownloadBytes = 16 << 30

    private static let downloads = FileTransferDelegate()
    private static let downloadSession: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        return URLSession(configuration: configuration, delegate: downloads, delegateQueue: nil)
    }()

    /// GETs `url` into the file at `path` (replaced if it exists), chunk by chunk as the body arrives.
    ///
    /// - Parameters:
    ///   - timeout: The whole transfer's limit.
    /// - Returns: The status, headers and body size; on a non-2xx status the file holds the error body.
    /// - Throws: ``HTTPFailure`` or `CancellationError`.
    func download(_ url: String, to path: String, headers: [(String, String)] = [], timeout: Duration) async throws
        -> DownloadReply
    {
        guard let target = URL(string: url), target.scheme == "http" || target.scheme == "https" else {
            throw HTTPFailure.notSent("not an http(s) URL")
        }
        try? FileManager.default.removeItem(atPath: path)
        let (seconds, attoseconds) = timeout.components
        var request = URLRequest(url: target)
        request.httpMethod = "GET"
        request.timeoutInterval = max(1, Double(seconds) + Double(attoseconds) / 1e18)
        request.setValue("framechain/\(FrameChainVersion.current)", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.addValue(value, forHTTPHeaderField: name) }
        let prepared = request
        return try await withThrowingTaskGroup(of: DownloadReply.self) { group in
            group.addTask {
                do {
                    return try await Self.downloads.perform(prepared, into: path, in: Self.downloadSession)
                } catch let failure as HTTPFailure {
                    throw failure
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    throw HTTPFailure.broken("\(error)")
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

    /// ``download(_:to:headers:timeout:)`` retried on transient failures (a GET is safe to repeat); the final failure
    /// is permanent, since the prediction it belongs to already exists.
    func downloadRetrying(
        _ url: String, to path: String, headers: [(String, String)], timeout: Duration, policy: RetryPolicy,
        provider: String, action: String
    ) async throws -> DownloadReply {
        var random = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            let error: GeneratorError
            do {
                let reply = try await download(url, to: path, headers: headers, timeout: timeout)
                if reply.isSuccess { return reply }
                let body =
                    (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readData(ofLength: 4096)) ?? Data()
                error = ProviderFailure.status(
                    HTTPReply(status: reply.status, headers: reply.headers, body: Array(body)), from: provider,
                    context: " \(action)")
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

/// Runs download tasks: URLSession writes each body to a temporary file as it arrives, on the transfer's own thread
/// (so a fast sender waits for the disk instead of filling memory, which a data task's queued chunks would), and the
/// delegate moves the finished file into place.
private final class FileTransferDelegate: NSObject, URLSessionDownloadDelegate, @unchecked Sendable {
    // Safety: `transfers` is a Mutex; the class has no other stored state.
    private struct Transfer {
        var continuation: CheckedContinuation<DownloadReply, any Error>
        var destination: String
        var size = 0
        var failure: HTTPFailure?
    }

    private let transfers = Mutex<[Int: Transfer]>([:])

    func perform(_ request: URLRequest, into path: String, in session: URLSession) async throws -> DownloadReply {
        let task = session.downloadTask(with: request)
        let identifier = task.taskIdentifier
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfers.withLock { $0[identifier] = Transfer(continuation: continuation, destination: path) }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    func urlSession(
        _ session: URLSession, downloadTask: URLSessionDownloadTask, didWriteData bytesWritten: Int64,
        totalBytesWritten: Int64, totalBytesExpectedToWrite: Int64
    ) {
        guard totalBytesWritten > Int64(ProviderHTTP.maxDownloadBytes) else { return }
        transfers.withLock { $0[downloadTask.taskIdentifier]?.failure = .tooLarge }
        downloadTask.cancel()
    }

    func urlSession(
        _ session: URLSession, downloadTask: URLSessionDownloadTask, didFinishDownloadingTo location: URL
    ) {
        // The temporary file is removed when this returns: move it now.
        transfers.withLock { transfers in
            guard var transfer = transfers[downloadTask.taskIdentifier] else { return }
            do {
                try FileManager.default.moveItem(atPath: location.path, toPath: transfer.destination)
                let attributes = try FileManager.default.attributesOfItem(atPath: transfer.destination)
                transfer.size = (attributes[.size] as? Int) ?? 0
            } catch {
                transfer.failure = .broken("cannot keep the download: \(error)")
            }
            transfers[downloadTask.taskIdentifier] = transfer
        }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        // Credentials never follow a redirect to another origin (as in ProviderHTTP).
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
        if let failure = transfer.failure {
            transfer.continuation.resume(throwing: failure)
        } else if let error {
            transfer.continuation.resume(throwing: error)
        } else if let response = task.response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            transfer.continuation.resume(
                returning: DownloadReply(status: response.statusCode, headers: headers, size: transfer.size))
        } else {
            transfer.continuation.resume(throwing: HTTPFailure.broken("no HTTP response"))
        }
    }
}
