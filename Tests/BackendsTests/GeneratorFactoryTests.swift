import FrameChainTestKit
import Formats
import Testing

@testable import Backends
@testable import Chain

@Suite struct GeneratorFactoryTests {
    typealias F = BackendFixtures

    func make(_ backend: String, model: String = "m/n", options: [String: JSONValue] = [:]) throws(GeneratorError)
        -> any Generator
    {
        try GeneratorFactory.make(
            spec: GeneratorSpec(backend: backend, model: model, options: options),
            environment: ["REPLICATE_API_TOKEN": F.replicateToken, "OPENAI_API_KEY": F.openAIToken])
    }

    @Test func makesEachBackend() throws {
        #expect(try make("command", options: ["command": .array([.string("gen")])]) is CommandGenerator)
        #expect(try make("replicate", model: "google/nano-banana") is ReplicateGenerator)
        #expect(try make("openai", model: "gpt-image-1") is OpenAIGenerator)
        let generator = try make("replicate", model: "google/nano-banana")
        F.expectNoSecrets([String(reflecting: generator), "\(generator)"])
    }

    @Test func makesTheProceduralBackendAndChecksItsModelAndOptions() {
        #expect(
            (try? make(
                "procedural", model: "procedural-v1", options: ["latency_ms": .number(5), "retries": .number(1)]))
                is ProceduralGenerator)
        let model = #expect(throws: GeneratorError.self) { try make("procedural", model: "procedural-v2") }
        #expect(
            model?.message
                == "the procedural backend has one model, \"procedural-v1\" (the plan names \"procedural-v2\")")
        let option = #expect(throws: GeneratorError.self) {
            try make("procedural", model: "procedural-v1", options: ["latency": .number(5)])
        }
        #expect(
            option?.message
                == "unknown option \"latency\" for backend procedural (expected fail_rate, latency_ms, retries, "
                + "retry_base_ms, retry_max_ms, seed)")
    }

    @Test func unknownBackendsAreNamed() {
        let error = #expect(throws: GeneratorError.self) { try make("dalle") }
        #expect(error?.message == "unknown backend \"dalle\" (expected procedural, command, replicate, openai or ffmpeg)")
    }

    @Test func optionsAndModelsAreCheckedUpFront() {
        let typo = #expect(throws: GeneratorError.self) {
            try make("replicate", model: "google/nano-banana", options: ["timout_s": .number(5)])
        }
        #expect(
            typo?.message
                == "unknown option \"timout_s\" for backend replicate (expected base_url, image_field, input_fields, "
                + "max_wait_s, poll_interval_ms, retries, retry_base_ms, retry_max_ms, timeout_s)")
        let badTimeout = #expect(throws: GeneratorError.self) {
            try make("openai", model: "gpt-image-1", options: ["timeout_s": .number(-1)])
        }
        #expect(badTimeout?.message == "options.timeout_s must be a positive number")
        let noCommand = #expect(throws: GeneratorError.self) { try make("command") }
        #expect(
            noCommand?.message == "the command backend needs options.command, the program's argv as an array of strings"
        )
        let badModel = #expect(throws: GeneratorError.self) { try make("replicate", model: "google/nano/banana") }
        #expect(
            badModel?.message
                == "replicate model \"google/nano/banana\" is not of the form owner/name or owner/name:version")
    }

    @Test func aMissingTokenIsOnlyAnErrorWhenCalled() async throws {
        let generator = try GeneratorFactory.make(
            spec: GeneratorSpec(backend: "replicate", model: "google/nano-banana"), environment: [:])
        let error = try #require(
            await F.generatorError {
                try await generator.generate(F.job(backend: "replicate", model: "google/nano-banana"))
            })
        #expect(error.message.contains("REPLICATE_API_TOKEN"))
    }
}
