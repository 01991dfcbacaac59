import Chain
import Formats

/// How often and how patiently a transient generator failure is retried.
///
/// Delays follow exponential backoff with full jitter: before retry *n* (counted from 1) the wait is
/// a uniformly random duration in `0...min(maxDelay, baseDelay · 2^(n-1))`. When the provider asked
/// for a longer wait (``GeneratorError/retryAfter``), that wait is used instead, as long as it does
/// not exceed ``maxDelay``; a provider asking for more than that ends the retries.
public struct RetryPolicy: Sendable, Hashable {
    /// The number of retries after the first attempt (`options.retries`, default 3).
    public var maxRetries: Int
    /// The backoff base (`options.retry_base_ms`, default 500 ms).
    public var baseDelay: Duration
    /// The longest single wait (`options.retry_max_ms`, default 30 s).
    public var maxDelay: Duration

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - maxRetries: The number of retries after the first attempt; 0 disables retrying.
    ///   - baseDelay: The backoff base.
    ///   - maxDelay: The longest single wait.
    public init(maxRetries: Int = 3, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) {
        self.maxRetries = max(0, maxRetries)
        self.baseDelay = max(.zero, baseDelay)
        self.maxDelay = max(.zero, maxDelay)
    }

    /// Reads a policy from a plan's `generator.options` (`retries`, `retry_base_ms`, `retry_max_ms`).
    ///
    /// - Parameter options: The operational options.
    /// - Throws: ``GeneratorError`` naming an option of the wrong type.
    public init(options: [String: JSONValue]) throws(GeneratorError) {
        let reader = GeneratorOptions(options)
        self.init(
            maxRetries: try reader.count("retries", default: 3),
            baseDelay: try reader.milliseconds("retry_base_ms", default: 500),
            maxDelay: try reader.milliseconds("retry_max_ms", default: 30_000))
    }

    /// The wait before retry number `retry` (1 for the first retry).
    ///
    /// - Parameters:
    ///   - retry: The retry about to be made, counted from 1.
    ///   - retryAfter: The wait the provider asked for, in seconds, if any.
    ///   - generator: The source of jitter.
    /// - Returns: The wait, or `nil` if the provider asked for more than ``maxDelay``.
    public func delay(
        beforeRetry retry: Int, retryAfter: Double? = nil, using generator: inout some RandomNumberGenerator
    ) -> Duration? {
        let ceiling = Self.milliseconds(of: maxDelay)
        let exponent = min(max(retry - 1, 0), 40)
        let backoff = min(ceiling, Self.milliseconds(of: baseDelay) * Double(UInt64(1) << UInt64(exponent)))
        var wait = backoff > 0 ? Double.random(in: 0...backoff, using: &generator) : 0
        if let retryAfter, retryAfter.isFinite, retryAfter > 0 {
            let asked = retryAfter * 1000
            if asked > ceiling { return nil }
            wait = max(wait, asked)
        }
        return .milliseconds(Int64(wait.rounded(.up)))
    }

    private static func milliseconds(of duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
