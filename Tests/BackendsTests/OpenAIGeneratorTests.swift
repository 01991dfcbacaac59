import FrameChainTestKit
import Formats
import Foundation
import Store
import Testing

@testable import Backends
@testable import Chain

@Suite struct OpenAIGeneratorTests {
    typealias F = BackendFixtures

    let generator = OpenAIGenerator(token: F.openAIToken)

    func job(_ server: FakeProvider, inputs: [GeneratorInput] = [], options: [String: JSONValue] = [:]) -> GenerationJob
    {
        var all: [String: JSONValue] = [
            "base_url": .string(server.baseURL + "/v1"), "retry_base_ms": .number(1), "retry_max_ms": .number(2000),
        ]
        all.merge(options) { $1 }
        return F.job(
            backend: "openai", model: "gpt-image-1",
            params: ["size": .string("1024x1536"), "quality": .string("low"), "n": .number(1)], inputs: inputs,
            options: all)
    }

    @Test func generationsWithoutInputsSendJSON() async throws {
        try await FakeProvider.with(scenario: "ok") { server in
            let output = try await generator.generate(job(server))
            #expect(output.mediaType == .png)
            #expect(output.usage.map { ProviderJSON($0)["total_tokens"]?.value } == .number(4210))
            F.expectNoSecrets(F.printed(output) + [String(reflecting: generator)])

            let request = try #require(try await server.requests("POST", "/v1/images/generations").first)
            #expect(request["headers"]?["authorization"]?.string == "Bearer \(F.openAIToken)")
            let body = try #require(request["json"])
            #expect(body["model"]?.string == "gpt-image-1")
            #expect(body["prompt"]?.string == "a faceted glass perfume bottle, keep it identical")
            #expect(body["size"]?.string == "1024x1536")
            #expect(body["n"]?.value == .number(1))
        }
    }

    @Test func editsWithInputsSendMultipart() async throws {
        let first = F.input(F.png(seed: 1))
        let second = F.input(F.png(seed: 2))
        try await FakeProvider.with(scenario: "ok") { server in
            let output = try await generator.generate(job(server, inputs: [first, second]))
            #expect(output.mediaType == .png)
            let request = try #require(try await server.requests("POST", "/v1/images/edits").first)
            #expect(request["headers"]?["content-type"]?.string?.hasPrefix("multipart/form-data; boundary=") == true)
            let parts = try #require(request["parts"]?.array)
            let texts = parts.filter { $0["filename"]?.string == nil }
            #expect(texts.map { $0["name"]?.string ?? "" } == ["model", "prompt", "n", "quality", "size"])
            #expect(
                texts.map { $0["text"]?.string ?? "" }
                    == ["gpt-image-1", "a faceted glass perfume bottle, keep it identical", "1", "low", "1024x1536"])
            let files = parts.filter { $0["filename"]?.string != nil }
            #expect(files.map { $0["name"]?.string ?? "" } == ["image[]", "image[]"])
            #expect(files.map { $0["filename"]?.string ?? "" } == ["input-1.png", "input-2.png"])
            #expect(files.map { $0["content_type"]?.string ?? "" } == ["image/png", "image/png"])
            #expect(files.map { $0["sha256"]?.string ?? "" } == [first.digest.hexString, second.digest.hexString])
        }
    }

    @Test func aURLOutputIsDownloaded() async throws {
        try await FakeProvider.with(scenario: "openai_url") { server in
            let output = try await generator.generate(job(server))
            #expect(output.mediaType == .png)
            #expect(try await server.requests("GET", "/outputs/openai.png").count == 1)
        }
    }

    @Test func rateLimitHonoursRetryAfterMilliseconds() async throws {
        try await FakeProvider.with(scenario: "rate_limited") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(error.isTransient)
            #expect(error.retryAfter == 0.02)
            #expect(error.message == "HTTP 429 from openai: Rate limit reached for images")
            let output = try await RetryingGenerator(wrapping: generator).generate(job(server))
            #expect(output.mediaType == .png)
        }
    }

    @Test func serverErrorsExhaustTheRetryBudget() async throws {
        try await FakeProvider.with(scenario: "server_error") { server in
            let retrying = RetryingGenerator(wrapping: generator)
            let error = try #require(
                await F.generatorError {
                    try await retrying.generate(job(server, options: ["retries": .number(2)]))
                })
            #expect(
                error.message
                    == "HTTP 500 from openai after 3 attempts: The server had an error while processing your request")
            #expect(try await server.requests("POST", "/v1/images/generations").count == 3)
            F.expectNoSecrets(F.printed(error))
        }
    }

    @Test func badRequestsArePermanent() async throws {
        try await FakeProvider.with(scenario: "not_found") { server in
            let error = try #require(
                await F.generatorError {
                    try await RetryingGenerator(wrapping: generator).generate(job(server))
                })
            #expect(!error.isTransient)
            #expect(error.message == "HTTP 400 from openai: Invalid value for size")
            #expect(try await server.requests().count == 1)
        }
    }

    @Test func aTimeoutIsNotRetried() async throws {
        try await FakeProvider.with(scenario: "slow") { server in
            let error = try #require(
                await F.generatorError {
                    try await RetryingGenerator(wrapping: generator).generate(
                        job(server, options: ["timeout_s": .number(1)]))
                })
            #expect(!error.isTransient)
            #expect(
                error.message
                    == "openai did not answer the image generation request in time: no reply within 1 s; "
                    + "a paid generation may have started, so it was not retried")
            #expect(try await server.requests().count == 1)
        }
    }

    @Test func malformedRepliesAndNonImagesAreRejected() async throws {
        try await FakeProvider.with(scenario: "malformed") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(
                error.message.hasPrefix(
                    "malformed reply from openai to the image generation request (HTTP 200): not JSON"))
        }
        try await FakeProvider.with(scenario: "output_not_image") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(error.message == "openai output is not an image: 19 bytes that are not PNG, JPEG or WebP")
        }
    }

    @Test func aMissingKeyNamesTheVariable() async throws {
        let error = try #require(
            await F.generatorError {
                try await OpenAIGenerator(token: "").generate(F.job(backend: "openai", model: "gpt-image-1"))
            })
        #expect(error.message == "the openai backend needs an API key: set OPENAI_API_KEY in the environment")
        #expect(!error.isTransient)
    }

    @Test func cancellationStopsTheRequest() async throws {
        try await FakeProvider.with(scenario: "slow") { server in
            let generator = self.generator
            let job = job(server)
            let task = Task { try await generator.generate(job) }
            while try await server.requests("POST", "/v1/images/generations").isEmpty {
                try await Task.sleep(for: .milliseconds(20))
            }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }
}
