import FrameChainTestKit
import Formats
import Foundation
import Store
import Testing

@testable import Backends
@testable import Chain

@Suite struct ReplicateGeneratorTests {
    typealias F = BackendFixtures

    let generator = ReplicateGenerator(token: F.replicateToken)

    func job(
        _ server: FakeProvider, model: String = "google/nano-banana", inputs: [GeneratorInput] = [],
        options: [String: JSONValue] = [:]
    ) -> GenerationJob {
        var all: [String: JSONValue] = [
            "base_url": .string(server.baseURL), "poll_interval_ms": .number(10), "retry_base_ms": .number(1),
            "retry_max_ms": .number(2000),
        ]
        all.merge(options) { $1 }
        return F.job(
            backend: "replicate", model: model,
            params: ["output_format": .string("png"), "aspect_ratio": .string("9:16")],
            inputs: inputs, options: all)
    }

    @Test func preferWaitSuccessSendsTheContractBody() async throws {
        let reference = F.input(F.png(seed: 3))
        try await FakeProvider.with(scenario: "ok") { server in
            let output = try await generator.generate(job(server, inputs: [reference]))
            #expect(output.mediaType == .png)
            #expect(output.modelVersion == "v-fake-1")
            #expect(output.providerID == "pred1")
            #expect(output.usage == .object(["predict_time": .number(1.25), "total_time": .number(1.5)]))
            F.expectNoSecrets(F.printed(output) + [String(reflecting: generator), "\(generator)"])

            let creates = try await server.requests("POST", "/v1/models/google/nano-banana/predictions")
            let create = try #require(creates.first)
            #expect(creates.count == 1)
            #expect(create["headers"]?["authorization"]?.string == "Bearer \(F.replicateToken)")
            #expect(create["headers"]?["prefer"]?.string?.hasPrefix("wait") == true)
            let input = try #require(create["json"]?["input"])
            #expect(input["prompt"]?.string == "a faceted glass perfume bottle, keep it identical")
            #expect(input["output_format"]?.string == "png")
            #expect(input["aspect_ratio"]?.string == "9:16")
            let uri = try #require(input["image_input"]?.array?.first?.string)
            #expect(uri.hasPrefix("data:image/png;base64,"))
            let sent = try #require(F.dataURIBytes(uri))
            #expect(SHA256.hash(data: sent) == reference.digest)
            #expect(try await server.requests("GET", "/v1/predictions/pred1").isEmpty)
            #expect(try await server.requests("GET", "/outputs/pred1.png").count == 1)
        }
    }

    @Test func pollsWhileStartingOrProcessing() async throws {
        try await FakeProvider.with(scenario: "poll") { server in
            let output = try await generator.generate(job(server))
            #expect(output.mediaType == .png)
            #expect(try await server.requests("GET", "/v1/predictions/pred1").count == 2)
            let create = try #require(try await server.requests().first)
            #expect(create["json"]?["input"]?["image_input"] == nil)
        }
    }

    @Test func processingWithOutputCountsAsDone() async throws {
        try await FakeProvider.with(scenario: "processing_output") { server in
            let output = try await generator.generate(job(server))
            #expect(output.mediaType == .png)
            #expect(try await server.requests("GET", "/v1/predictions/pred1").isEmpty)
        }
    }

    @Test func pinnedVersionUsesThePredictionsEndpoint() async throws {
        try await FakeProvider.with(scenario: "ok") { server in
            let output = try await generator.generate(job(server, model: "someone/some-model:5c7d5dc6dd8bf75c"))
            #expect(output.modelVersion == "5c7d5dc6dd8bf75c")
            let create = try #require(try await server.requests("POST", "/v1/predictions").first)
            #expect(create["json"]?["version"]?.string == "5c7d5dc6dd8bf75c")
        }
    }

    @Test func largeImagesAreUploadedFirst() async throws {
        let small = F.input(F.png(seed: 1))
        let large = F.input(F.largePNG())
        try await FakeProvider.with(scenario: "ok") { server in
            _ = try await generator.generate(job(server, inputs: [small, large]))
            let uploads = try await server.requests("POST", "/v1/files")
            #expect(uploads.count == 1)
            let part = try #require(uploads.first?["parts"]?.array?.first)
            #expect(part["name"]?.string == "content")
            #expect(part["filename"]?.string == "input-2.png")
            #expect(part["content_type"]?.string == "image/png")
            #expect(part["sha256"]?.string == large.digest.hexString)
            let create = try #require(
                try await server.requests("POST", "/v1/models/google/nano-banana/predictions").first)
            let images = try #require(create["json"]?["input"]?["image_input"]?.array)
            #expect(images.count == 2)
            #expect(images[0].string.flatMap(F.dataURIBytes).map { SHA256.hash(data: $0) } == small.digest)
            #expect(images[1].string == server.baseURL + "/v1/files/file1")
        }
    }

    @Test func failedPredictionIsPermanentWithItsError() async throws {
        try await FakeProvider.with(scenario: "failed") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(error.message == "replicate prediction pred1 failed: NSFW content detected; try a different prompt")
            #expect(!error.isTransient)
            F.expectNoSecrets(F.printed(error))
        }
    }

    @Test func rateLimitIsTransientWithRetryAfterAndThenSucceeds() async throws {
        try await FakeProvider.with(scenario: "rate_limited") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(error.isTransient)
            #expect(error.retryAfter == 1)
            #expect(
                error.message
                    == "HTTP 429 from replicate: Too Many Requests: Request was throttled. Expected available in 1 second."
            )
            F.expectNoSecrets(F.printed(error))

            let output = try await RetryingGenerator(wrapping: generator).generate(job(server))
            #expect(output.mediaType == .png)
        }
    }

    @Test func serverErrorsExhaustTheRetryBudget() async throws {
        try await FakeProvider.with(scenario: "server_error") { server in
            let retrying = RetryingGenerator(wrapping: generator)
            let error = try #require(await F.generatorError { try await retrying.generate(job(server)) })
            #expect(
                error.message
                    == "HTTP 500 from replicate after 4 attempts: Internal Server Error: the model is overloaded")
            #expect(try await server.requests("POST", "/v1/models/google/nano-banana/predictions").count == 4)
            F.expectNoSecrets(F.printed(error))
        }
    }

    @Test func clientErrorsAreNotRetried() async throws {
        try await FakeProvider.with(scenario: "not_found") { server in
            let retrying = RetryingGenerator(wrapping: generator)
            let error = try #require(await F.generatorError { try await retrying.generate(job(server)) })
            #expect(error.message == "HTTP 404 from replicate: Not Found: Model not found: foo/bar")
            #expect(!error.isTransient)
            #expect(try await server.requests().count == 1)
        }
    }

    @Test func aCreateThatTimesOutIsNotRetried() async throws {
        try await FakeProvider.with(scenario: "slow") { server in
            let retrying = RetryingGenerator(wrapping: generator)
            let error = try #require(
                await F.generatorError { try await retrying.generate(job(server, options: ["timeout_s": .number(1)])) })
            #expect(!error.isTransient)
            #expect(
                error.message
                    == "replicate did not answer the prediction create request in time: no reply within 1 s; "
                    + "a paid generation may have started, so it was not retried")
            #expect(try await server.requests().count == 1)
            F.expectNoSecrets(F.printed(error))
        }
    }

    @Test func malformedJSONIsAPermanentError() async throws {
        try await FakeProvider.with(scenario: "malformed") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(!error.isTransient)
            #expect(
                error.message.hasPrefix(
                    "malformed reply from replicate to the prediction create request (HTTP 201): not JSON"))
        }
    }

    @Test func aMissingOutputIsReported() async throws {
        try await FakeProvider.with(scenario: "output_404") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(!error.isTransient)
            #expect(error.message == "HTTP 404 from replicate downloading the output of prediction pred1: Not Found")
        }
    }

    @Test func anOutputThatIsNotAnImageIsRejected() async throws {
        try await FakeProvider.with(scenario: "output_not_image") { server in
            let error = try #require(await F.generatorError { try await generator.generate(job(server)) })
            #expect(
                error.message
                    == "replicate prediction pred1 output is not an image: 33 bytes that are not PNG, JPEG or WebP")
        }
    }

    @Test func cancellationDuringPollingCancelsThePrediction() async throws {
        try await FakeProvider.with(scenario: "hang") { server in
            let generator = self.generator
            let job = job(server)
            let task = Task { try await generator.generate(job) }
            while try await server.requests("GET", "/v1/predictions/pred1").isEmpty {
                try await Task.sleep(for: .milliseconds(20))
            }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            let cancels = try await server.requests("POST", "/v1/predictions/pred1/cancel")
            #expect(cancels.count == 1)
            #expect(cancels.first?["headers"]?["authorization"]?.string == "Bearer \(F.replicateToken)")
        }
    }

    @Test func aMissingTokenNamesTheVariable() async throws {
        let generator = ReplicateGenerator(token: nil)
        let error = try #require(
            await F.generatorError {
                try await generator.generate(F.job(backend: "replicate", model: "google/nano-banana"))
            })
        #expect(error.message == "the replicate backend needs an API token: set REPLICATE_API_TOKEN in the environment")
        #expect(!error.isTransient)
    }

    @Test func aRefusedConnectionIsTransient() async throws {
        // Port 1 on the loopback interface: nothing listens there.
        let job = F.job(
            backend: "replicate", model: "google/nano-banana",
            options: ["base_url": .string("http://127.0.0.1:1"), "timeout_s": .number(1)])
        let error = try #require(await F.generatorError { try await generator.generate(job) })
        #expect(error.isTransient)
        #expect(error.message.hasPrefix("cannot connect to replicate for the prediction create request: "))
        F.expectNoSecrets(F.printed(error))
    }

    @Test func reservedParamsAndBadModelsAreRejected() async throws {
        let clash = F.job(
            backend: "replicate", model: "google/nano-banana", params: ["image_input": .array([])],
            options: ["base_url": .string("http://127.0.0.1:1")])
        let clashError = try #require(await F.generatorError { try await generator.generate(clash) })
        #expect(
            clashError.message
                == "params.image_input is not allowed with the replicate backend: framechain sends it itself")
        let badModel = F.job(
            backend: "replicate", model: "nano-banana", options: ["base_url": .string("http://127.0.0.1:1")])
        let modelError = try #require(await F.generatorError { try await generator.generate(badModel) })
        #expect(
            modelError.message == "replicate model \"nano-banana\" is not of the form owner/name or owner/name:version")
    }
}
