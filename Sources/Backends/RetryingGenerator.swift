import Chain

/// A generator that retries its base generator's transient failures.
///
/// Transient ``GeneratorError``s (rate limits, server errors, connection failures) are retried with
/// the ``RetryPolicy``'s backoff; permanent errors and cancellation end the attempts at once. Waits
/// are cancellable: cancelling the calling task ends a wait with `CancellationError`.
///
/// When more than one attempt was made, the final error says so: its message gets
/// ` after N attempts` inserted before the first `": "` (backends write messages as
/// `<what happened>: <detail>`), for example `HTTP 500 from replicate after 4 attempts: overloaded`.
public struct RetryingGenerator: Generator {
    /// The wrapped generator.
    public let base: any Generator
    /// The policy, or `nil` to read it from each job's options.
    public let policy: RetryPolicy?

    /// Wraps a generator.
    ///
    /// - Parameters:
    ///   - base: The generator whose transient failures are retried.
    ///   - policy: A fixed policy; `nil` (the default) reads it from each job's `options`.
    public init(wrapping base: any Generator, policy: RetryPolicy? = nil) {
        self.base = base
        self.policy = policy
    }

    /// Runs the base generator, retrying transient failures.
    ///
    /// - Parameter job: The job.
    /// - Returns: The first successful output.
    /// - Throws: The last ``GeneratorError`` (annotated with the number of attempts), an options
    ///   error, or `CancellationError`.
    public func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        let policy = try self.policy ?? RetryPolicy(options: job.options)
        var random = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            do {
                return try await base.generate(job)
            } catch let error as GeneratorError {
                guard error.isTransient, attempt <= policy.maxRetries,
                    let wait = policy.delay(beforeRetry: attempt, retryAfter: error.retryAfter, using: &random)
                else {
                    throw Self.annotated(error, attempts: attempt)
                }
                try await Task.sleep(for: wait)
                attempt += 1
            }
        }
    }

    /// `error` with the number of attempts worked into its message (unchanged after one attempt).
    static func annotated(_ error: GeneratorError, attempts: Int) -> GeneratorError {
        guard attempts > 1 else { return error }
        var annotated = error
        let note = " after \(attempts) attempts"
        // After the first clause: "HTTP 500 from replicate after 4 attempts: …",
        // "gen.sh exited with status 75 after 3 attempts; stderr: …".
        let separators = [": ", "; "].compactMap { error.message.range(of: $0) }
        if let first = separators.min(by: { $0.lowerBound < $1.lowerBound }) {
            let colon = first
            annotated.message = error.message[..<colon.lowerBound] + note + error.message[colon.lowerBound...]
        } else {
            annotated.message = error.message + note
        }
        return annotated
    }
}
