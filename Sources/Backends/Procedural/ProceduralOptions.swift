import Chain
import Formats

/// The procedural backend's operational options, validated. None of them changes the image.
///
/// - `latency_ms`: a number of milliseconds (0 to 86,400,000) to wait before answering, to simulate a slow
///   model; the wait is cancellable.
/// - `fail_rate`: the probability (0 to 1) that a call fails with a transient error, to simulate a flaky
///   model.
/// - `seed`: an integer (default 0) that, with the request key and the attempt number, decides which calls
///   fail.
///
/// Other keys belong to the executor (retries, timeouts) and are ignored here.
struct ProceduralOptions: Hashable {
    var latencyMilliseconds: Double = 0
    var failRate: Double = 0
    var seed: Int64 = 0

    /// Validates `options`.
    ///
    /// - Parameter options: The plan's `generator.options`.
    /// - Throws: A non-transient ``GeneratorError`` naming the first invalid option, e.g.
    ///   `options.fail_rate must be a number between 0 and 1`.
    init(_ options: [String: JSONValue]) throws(GeneratorError) {
        if let value = options["latency_ms"] {
            guard case .number(let number) = value, (0...86_400_000).contains(number) else {
                throw GeneratorError("options.latency_ms must be a number between 0 and 86400000")
            }
            latencyMilliseconds = number
        }
        if let value = options["fail_rate"] {
            guard case .number(let number) = value, (0...1).contains(number) else {
                throw GeneratorError("options.fail_rate must be a number between 0 and 1")
            }
            failRate = number
        }
        if let value = options["seed"] {
            guard case .number(let number) = value, number.rounded() == number, abs(number) <= 9_007_199_254_740_992
            else {
                throw GeneratorError("options.seed must be an integer")
            }
            seed = Int64(number)
        }
    }
}
