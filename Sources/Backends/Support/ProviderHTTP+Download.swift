import AsyncHTTPClient
import Chain
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Downloads straight to a file, for outputs too large to hold in memory (a provider's clip): the response body is
// written chunk by chunk as AsyncHTTPClient delivers it, so memory does not grow with the size of the output.

/// A response whose body went to a file.
struct DownloadReply: Sendable {
    /// The status code.
    let status: Int
    /// The response headers, names lowercased.
    let headers: [String: String]
    /// The number of bytes written to the file.
    let size: Int

    /// Whether the status is 2xx.
    var isSuccess: Bool { (200..<300).contains(status) }
}

extension ProviderHTTP {
    /// The largest download accepted (a clip of a few minutes in high quality is well under it).
    static let maxDownloadBytes = 16 << 30

    /// Downloads `url` into the file at `path` (created with mode 0600, replaced if present), following up to
    /// ``maxRedirects`` redirects without carrying credentials to another origin.
    ///
    /// - Returns: The status, headers and size; the file holds the body whatever the status.
    /// - Throws: ``HTTPFailure`` (``HTTPFailure/tooLarge`` past ``maxDownloadBytes``) or `CancellationError`.
    func download(_ url: String, to path: String, headers: [(String, String)] = [], timeout: Duration) async throws
        -> DownloadReply
    {
        guard let first = HTTPTarget(url) else { throw HTTPFailure.notSent("not an http(s) URL") }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout / .nanoseconds(1)))
        let initialHeaders = headers
        return try await Self.bounded(by: timeout) {
            var target = first
            var headers = initialHeaders
            var redirects = 0
            while true {
                var request = HTTPClientRequest(url: target.text)
                request.method = .GET
                request.headers.add(name: "User-Agent", value: "framechain/\(FrameChainVersion.current)")
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                let response: HTTPClientResponse
                do {
                    response = try await Self.client.execute(request, deadline: deadline)
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    throw Self.classify(error)
                }
                var names: [String: String] = [:]
                for (name, value) in response.headers { names[name.lowercased()] = value }
                if redirects < Self.maxRedirects,
                    let next = target.redirected(
                        status: Int(response.status.code), location: names["location"], headers: &headers)
                {
                    redirects += 1
                    target = next
                    continue
                }
                let size = try await Self.write(response.body, to: path)
                return DownloadReply(status: Int(response.status.code), headers: names, size: size)
            }
        }
    }

    /// Writes `body` into a new file at `path` (mode 0600), chunk by chunk.
    private static func write(_ body: HTTPClientResponse.Body, to path: String) async throws -> Int {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw HTTPFailure.broken("cannot create the download file: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var size = 0
        do {
            for try await chunk in body {
                size += chunk.readableBytes
                guard size <= maxDownloadBytes else { throw HTTPFailure.tooLarge }
                try chunk.withUnsafeReadableBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw HTTPFailure.broken("cannot write the download: \(String(cString: strerror(errno)))")
                        }
                        offset += written
                    }
                }
            }
        } catch let failure as HTTPFailure {
            throw failure
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw classify(error)
        }
        return size
    }

    func downloadRetrying(
        _ url: String, to path: String, headers: [(String, String)], timeout: Duration, policy: RetryPolicy,
        provider: String, action: String
    ) async throws -> DownloadReply {
        try await retrying(timeout: timeout, policy: policy, provider: provider, action: action) {
            let reply = try await download(url, to: path, headers: headers, timeout: timeout)
            if reply.isSuccess { return .success(reply) }
            let body = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readData(ofLength: 4096)) ?? Data()
            return .failure(
                ProviderFailure.status(
                    HTTPReply(status: reply.status, headers: reply.headers, body: Array(body)), from: provider,
                    context: " \(action)"))
        }
    }
}
