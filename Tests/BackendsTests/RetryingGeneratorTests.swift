import FrameChainTestKit
import Formats
import Synchronization
import Testing

@testable import Backends
@testable import Chain

/// A generator that plays a script of outcomes, one per call, and counts the calls.
private final class ScriptedGenerator: Generator {
    private let script: Mutex<[Result<GeneratorOutput, GeneratorError>]>
    private let calls = Mutex(0)

    init(_ script: [Result<GeneratorOutput, GeneratorError>]) {
        self.script = Mutex(script)
    }

    var callCount: Int { calls.withLock { $0 } }

    func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        calls.withLock { $0 += 1 }
        let next = script.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        return try next.get()
    }
}

/// A deterministic random source for delay bounds.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RetryingGeneratorTests {
    typealias F = BackendFixtures

    let image = GeneratorOutput(bytes: F.png(), mediaType: .png)
    let fast: [String: JSONValue] = ["retry_base_ms": .number(1), "retry_max_ms": .number(5)]

    func job(_ options: [String: JSONValue]) -> GenerationJob {
        F.job(backend: "procedural", model: "procedural-v1", options: options)
    }

    @Test func transientFailuresAreRetriedUntilSuccess() async throws {
        let base = ScriptedGenerator([
            .failure(GeneratorError("HTTP 503 from x: busy", isTransient: true)),
            .failure(GeneratorError("HTTP 503 from x: busy", isTransient: true)), .success(image),
        ])
        let output = try await RetryingGenerator(wrapping: base).generate(job(fast))
        #expect(output.bytes == image.bytes)
        #expect(base.callCount == 3)
    }

    @Test func permanentFailuresAreNotRetried() async throws {
        let base = ScriptedGenerator([.failure(GeneratorError("HTTP 401 from x: bad token"))])
        let error = try #require(
            await F.generatorError { try await RetryingGenerator(wrapping: base).generate(job(fast)) })
        #expect(error.message == "HTTP 401 from x: bad token")
        #expect(base.callCount == 1)
    }

    @Test func theBudgetIsBoundedAndTheMessageCountsAttempts() async throws {
        let base = ScriptedGenerator([.failure(GeneratorError("HTTP 500 from x: down", isTransient: true))])
        var options = fast
        options["retries"] = .number(2)
        let error = try #require(
            await F.generatorError { try await RetryingGenerator(wrapping: base).generate(job(options)) })
        #expect(error.message == "HTTP 500 from x after 3 attempts: down")
        #expect(error.isTransient)
        #expect(base.callCount == 3)

        let noColon = ScriptedGenerator([.failure(GeneratorError("flaky", isTransient: true))])
        let policy = RetryPolicy(maxRetries: 1, baseDelay: .zero, maxDelay: .zero)
        let second = try #require(
            await F.generatorError {
                try await RetryingGenerator(wrapping: noColon, policy: policy).generate(job([:]))
            })
        #expect(second.message == "flaky after 2 attempts")
    }

    @Test func aRetryAfterBeyondTheMaximumEndsTheRetries() async throws {
        let base = ScriptedGenerator([
            .failure(GeneratorError("HTTP 429 from x: slow down", isTransient: true, retryAfter: 3600))
        ])
        let error = try #require(
            await F.generatorError { try await RetryingGenerator(wrapping: base).generate(job(fast)) })
        #expect(error.message == "HTTP 429 from x: slow down")
        #expect(base.callCount == 1)
    }

    @Test func cancellationInterruptsTheWait() async throws {
        let base = ScriptedGenerator([.failure(GeneratorError("HTTP 500 from x: down", isTransient: true))])
        let slow = RetryPolicy(maxRetries: 3, baseDelay: .seconds(600), maxDelay: .seconds(600))
        let retrying = RetryingGenerator(wrapping: base, policy: slow)
        let job = job([:])
        let task = Task { try await retrying.generate(job) }
        while base.callCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(base.callCount == 1)
    }

    @Test func delaysUseFullJitterWithinTheExponentialCeiling() {
        let policy = RetryPolicy(maxRetries: 10, baseDelay: .milliseconds(100), maxDelay: .milliseconds(1000))
        var random = SplitMix(state: 42)
        for retry in 1...8 {
            let ceiling = Duration.milliseconds(min(1000, 100 << (retry - 1)))
            for _ in 0..<50 {
                let delay = try! #require(policy.delay(beforeRetry: retry, using: &random))
                #expect(delay >= .zero && delay <= ceiling)
            }
        }
        #expect(policy.delay(beforeRetry: 1, retryAfter: 0.5, using: &random)! >= .milliseconds(500))
        #expect(policy.delay(beforeRetry: 1, retryAfter: 2, using: &random) == nil)
    }

    @Test func optionsAreReadAndChecked() throws {
        let policy = try RetryPolicy(options: [
            "retries": .number(5), "retry_base_ms": .number(10), "retry_max_ms": .number(50),
        ])
        #expect(policy == RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)))
        #expect(try RetryPolicy(options: [:]) == RetryPolicy())
        let error = #expect(throws: GeneratorError.self) { try RetryPolicy(options: ["retries": .string("3")]) }
        #expect(error?.message == "options.retries must be a whole number >= 0")
    }
}
