import FrameChainTestKit
import Formats
import Foundation
import Store
import Testing

@testable import Backends
@testable import Chain

/// The fake Replicate/OpenAI server of `Servers/fake_provider.py`, running on 127.0.0.1.
struct FakeProvider: Sendable {
    /// The port the server chose.
    let port: Int

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request the server has seen, oldest first.
    func requests() async throws -> [ProviderJSON] {
        let reply = try await ProviderHTTP().send(.GET, baseURL + "/_log", timeout: .seconds(10))
        let log = try #require(ProviderJSON(parsing: reply.body))
        return try #require(log.array)
    }

    /// The requests whose method and path match.
    func requests(_ method: String, _ path: String) async throws -> [ProviderJSON] {
        try await requests().filter { $0["method"]?.string == method && $0["path"]?.string == path }
    }

    /// Runs `body` against a fresh server playing `scenario`, and stops the server afterwards.
    static func with<R>(scenario: String, _ body: (FakeProvider) async throws -> R) async throws -> R {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Servers/fake_provider.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--port", "0", "--scenario", scenario]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        defer {
            // SIGKILL: the test process may hand SIGTERM down blocked or ignored.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        var line: [UInt8] = []
        while true {
            let chunk = stdout.fileHandleForReading.readData(ofLength: 1)
            guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
            line.append(byte)
        }
        let port = try #require(Int(String(decoding: line, as: UTF8.self)), "fake_provider.py did not print its port")
        return try await body(FakeProvider(port: port))
    }
}

/// Helpers shared by the backend tests.
enum BackendFixtures {
    static let replicateToken = "r8_TESTSECRET_7f3a9c2e1b"
    static let openAIToken = "sk-TESTSECRET-4d8e0a6b5c"

    /// Bytes that the backends recognise as PNG (the signature, then a per-`seed` text); they are
    /// never decoded, so a full image is not needed.
    static func png(seed: UInt8 = 1) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("framechain test image \(seed)".utf8)
    }

    /// Bytes that look like a PNG and are larger than Replicate's inline limit.
    static func largePNG() -> [UInt8] {
        png(seed: 9) + [UInt8](repeating: 0xAB, count: 1_200_000)
    }

    /// An input image.
    static func input(_ bytes: [UInt8]) -> GeneratorInput {
        GeneratorInput(digest: SHA256.hash(data: bytes), mediaType: MediaType.sniff(bytes)!, bytes: bytes)
    }

    /// A job for `backend`/`model` with the given inputs and options.
    static func job(
        backend: String, model: String, prompt: String = "a faceted glass perfume bottle, keep it identical",
        params: [String: JSONValue] = [:], inputs: [GeneratorInput] = [], options: [String: JSONValue] = [:],
        node: String = "start/2"
    ) -> GenerationJob {
        let request = GenerationRequest(
            backend: backend, model: model, params: params, prompt: prompt, inputs: inputs.map(\.digest), take: 1)
        return GenerationJob(request: request, inputs: inputs, options: options, node: node)
    }

    /// Runs `body` and returns the `GeneratorError` it throws, failing the test if it throws anything else.
    static func generatorError(_ body: () async throws -> GeneratorOutput) async -> GeneratorError? {
        do {
            _ = try await body()
            Issue.record("expected a GeneratorError, got an image")
        } catch let error as GeneratorError {
            return error
        } catch {
            Issue.record("expected a GeneratorError, got \(error)")
        }
        return nil
    }

    /// Asserts that no secret appears in `texts`.
    static func expectNoSecrets(_ texts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for text in texts {
            #expect(!text.contains(replicateToken), "token leaked: \(text)", sourceLocation: sourceLocation)
            #expect(!text.contains(openAIToken), "token leaked: \(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("TESTSECRET"), "token leaked: \(text)", sourceLocation: sourceLocation)
        }
    }

    /// Everything a caller could print about an error.
    static func printed(_ error: GeneratorError) -> [String] {
        [error.description, error.message, String(reflecting: error), "\(error)"]
    }

    /// Everything a caller could print about an output.
    static func printed(_ output: GeneratorOutput) -> [String] {
        [String(reflecting: output.usage), output.modelVersion ?? "", output.providerID ?? "", "\(output.mediaType)"]
    }

    /// The bytes of a base64 `data:` URI.
    static func dataURIBytes(_ uri: String) -> [UInt8]? {
        decodeDataURI(uri)
    }
}
