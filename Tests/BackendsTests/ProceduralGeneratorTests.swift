import Formats
import FrameChainTestKit
import Foundation
import Store
import Testing

@testable import Backends
@testable import Chain

@Suite struct ProceduralGeneratorTests {
    static let perfume = "A faceted glass perfume bottle with a gold cap on black velvet. Deep navy, gold accents."
    static let unrelated = "A red rocket launching over a sunny desert at noon. Bright orange sky."

    func generate(_ job: GenerationJob, options: [String: JSONValue] = [:]) async throws -> [UInt8] {
        try await ProceduralGenerator(options: options).generate(job).bytes
    }

    func decode(_ bytes: [UInt8]) throws -> RasterImage { try PNGDecoder.decode(bytes) }

    // MARK: - Output

    @Test func outputIsAPNGOfTheDefaultSize() async throws {
        let request = GenerationRequest(
            backend: "procedural", model: "procedural-v1", params: [:], prompt: Self.perfume, inputs: [], take: 1)
        let output = try await ProceduralGenerator(options: [:]).generate(TestSupport.job(request))
        #expect(output.mediaType == .png)
        #expect(output.modelVersion == "procedural-v1")
        #expect(MediaType.sniff(output.bytes) == .png)
        let image = try decode(output.bytes)
        #expect(image.width == 288 && image.height == 512)
    }

    @Test(.enabled(if: TestSupport.python3 != nil, "python3 is not installed"))
    func independentDecoderValidatesTheOutput() async throws {
        let bytes = try await generate(TestSupport.job(TestSupport.request(Self.perfume, width: 288, height: 512)))
        try TestSupport.withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("out.png")
            let raw = directory.appendingPathComponent("out.rgb")
            try Data(bytes).write(to: file)
            let result = try TestSupport.runPython(TestSupport.pythonPNGChecker, [file.path, raw.path])
            #expect(result.status == 0)
            #expect(result.output == "OK 288 512 8 2\n")
            #expect(Array(try Data(contentsOf: raw)) == (try decode(bytes)).pixels)
        }
    }

    @Test func sizeFromParams() async throws {
        let bytes = try await generate(TestSupport.job(TestSupport.request("a cat", width: 8, height: 13)))
        let image = try decode(bytes)
        #expect(image.width == 8 && image.height == 13)
    }

    // MARK: - Determinism

    @Test func sameJobSameBytes() async throws {
        let job = TestSupport.job(TestSupport.request(Self.perfume))
        let first = try await generate(job)
        let second = try await generate(job)
        #expect(first == second)
        // Options never change the bytes.
        let slow = try await generate(
            job, options: ["latency_ms": .number(1), "seed": .number(42), "fail_rate": .number(0)])
        #expect(slow == first)
    }

    @Test func promptTakeAndParamsChangeTheBytes() async throws {
        let base = try await generate(TestSupport.job(TestSupport.request(Self.perfume)))
        let otherPrompt = try await generate(TestSupport.job(TestSupport.request(Self.perfume + " Morning light.")))
        let otherTake = try await generate(TestSupport.job(TestSupport.request(Self.perfume, take: 2)))
        #expect(base != otherPrompt)
        #expect(base != otherTake)
        // Another take changes details, not the whole picture.
        let takeDistance = TestSupport.meanDistance(try decode(base), try decode(otherTake))
        let unrelated = try await generate(TestSupport.job(TestSupport.request(Self.unrelated)))
        #expect(takeDistance < TestSupport.meanDistance(try decode(base), try decode(unrelated)) / 2)
    }

    @Test func differentInputsChangeTheBytes() async throws {
        let first = try await generate(TestSupport.job(TestSupport.request("a quiet lake")))
        let second = try await generate(TestSupport.job(TestSupport.request("a quiet lake at dusk")))
        let outputs = try await [first, second].asyncMap { reference in
            let input = TestSupport.input(reference)
            return try await generate(
                TestSupport.job(TestSupport.request(Self.perfume, inputs: [input.digest]), inputs: [input]))
        }
        #expect(outputs[0] != outputs[1])
    }

    // MARK: - Continuation

    @Test func outputContinuesItsReference() async throws {
        let reference = try await generate(TestSupport.job(TestSupport.request(Self.unrelated)))
        let input = TestSupport.input(reference)
        let continued = try await generate(
            TestSupport.job(TestSupport.request(Self.perfume, inputs: [input.digest]), inputs: [input]))
        let fresh = try await generate(TestSupport.job(TestSupport.request(Self.perfume)))
        let toReference = TestSupport.meanDistance(try decode(continued), try decode(reference))
        let unrelatedDistance = TestSupport.meanDistance(try decode(fresh), try decode(reference))
        #expect(toReference < unrelatedDistance / 2)
    }

    @Test func referenceOfAnotherSizeIsResampled() async throws {
        let reference = PNGEncoder.encode(TestSupport.sampleImage(width: 451, height: 300))
        let input = TestSupport.input(reference)
        let bytes = try await generate(
            TestSupport.job(TestSupport.request(Self.perfume, inputs: [input.digest]), inputs: [input]))
        let image = try decode(bytes)
        #expect(image.width == 96 && image.height == 160)
    }

    @Test func jpegInputGivesATintAndNeverFails() async throws {
        let rocket = TestSupport.sharedImages.appendingPathComponent("rocket.jpg")
        let jpeg =
            (try? Array(Data(contentsOf: rocket)))
            ?? [0xFF, 0xD8, 0xFF, 0xE0, 0, 16] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9]
        let input = TestSupport.input(jpeg)
        #expect(input.mediaType == .jpeg)
        let tinted = try await generate(
            TestSupport.job(TestSupport.request(Self.perfume, inputs: [input.digest]), inputs: [input]))
        let plain = try await generate(TestSupport.job(TestSupport.request(Self.perfume)))
        #expect(tinted != plain)
        #expect(try decode(tinted).width == 96)
    }

    @Test func undecodablePNGInputIsAnError() async throws {
        var broken = PNGEncoder.encode(RasterImage(width: 4, height: 4, filledWith: (9, 9, 9)))
        broken[42] ^= 0xFF  // inside the IDAT data
        let input = TestSupport.input(broken)
        let job = TestSupport.job(TestSupport.request(Self.perfume, inputs: [input.digest]), inputs: [input])
        let error = try await #require(throws: GeneratorError.self) { try await generate(job) }
        #expect(!error.isTransient)
        #expect(error.message.hasPrefix("input 1 (\(input.digest)) cannot be decoded: PNG error (crc mismatch)"))
    }

    // MARK: - Simulation

    @Test(.timeLimit(.minutes(1)))
    func latencyIsCancellable() async throws {
        let generator = try ProceduralGenerator(options: ["latency_ms": .number(600_000)])
        let job = TestSupport.job(TestSupport.request(Self.perfume))
        let task = Task { try await generator.generate(job) }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    /// Which of `count` distinct first attempts fail with `options`.
    func failurePattern(_ options: [String: JSONValue], count: Int = 40) async throws -> [Bool] {
        let generator = try ProceduralGenerator(options: options)
        var pattern: [Bool] = []
        for index in 0..<count {
            do {
                _ = try await generator.generate(
                    TestSupport.job(TestSupport.request("scene \(index)", width: 8, height: 8)))
                pattern.append(false)
            } catch let error as GeneratorError {
                #expect(error.isTransient)
                pattern.append(true)
            }
        }
        return pattern
    }

    @Test func failRateIsDeterministic() async throws {
        let first = try await failurePattern(["fail_rate": .number(0.5)])
        let again = try await failurePattern(["fail_rate": .number(0.5), "seed": .number(0)])
        let otherSeed = try await failurePattern(["fail_rate": .number(0.5), "seed": .number(7)])
        #expect(first == again)
        #expect(first != otherSeed)
        #expect(first.contains(true) && first.contains(false))
        #expect(try await failurePattern(["fail_rate": .number(0)]).allSatisfy { !$0 })
        #expect(try await failurePattern(["fail_rate": .number(1)], count: 5).allSatisfy { $0 })
    }

    @Test func aRetryMaySucceed() async throws {
        let generator = try ProceduralGenerator(options: ["fail_rate": .number(0.5), "seed": .number(3)])
        let job = TestSupport.job(TestSupport.request(Self.perfume, width: 8, height: 8))
        var outcomes: [String] = []
        for _ in 0..<40 {
            do {
                _ = try await generator.generate(job)
                outcomes.append("ok")
            } catch let error as GeneratorError {
                #expect(error.isTransient)
                #expect(error.message.hasPrefix("simulated transient failure of ref/1 (attempt \(outcomes.count + 1)"))
                outcomes.append("failed")
            }
        }
        #expect(outcomes.contains("ok") && outcomes.contains("failed"))
        // A fresh generator starts counting again, so it repeats the same sequence.
        let fresh = try ProceduralGenerator(options: ["fail_rate": .number(0.5), "seed": .number(3)])
        for expected in outcomes.prefix(10) {
            let succeeded = (try? await fresh.generate(job)) != nil
            #expect(succeeded == (expected == "ok"))
        }
    }

    // MARK: - Validation

    static let invalidOptions: [(String, JSONValue, String)] = [
        ("fail_rate", .number(1.5), "options.fail_rate must be a number between 0 and 1"),
        ("fail_rate", .number(-0.1), "options.fail_rate must be a number between 0 and 1"),
        ("fail_rate", .string("often"), "options.fail_rate must be a number between 0 and 1"),
        ("latency_ms", .number(-1), "options.latency_ms must be a number between 0 and 86400000"),
        ("latency_ms", .null, "options.latency_ms must be a number between 0 and 86400000"),
        ("seed", .number(0.5), "options.seed must be an integer"),
        ("seed", .bool(true), "options.seed must be an integer"),
    ]

    @Test(arguments: invalidOptions)
    func invalidOptionsAreRejected(name: String, value: JSONValue, message: String) async throws {
        let error = try #require(throws: GeneratorError.self) { try ProceduralGenerator(options: [name: value]) }
        #expect(error.message == message)
        #expect(!error.isTransient)
        // The same check applies to a job's own options.
        let job = TestSupport.job(TestSupport.request("a cat"), options: [name: value])
        let jobError = try await #require(throws: GeneratorError.self) {
            try await ProceduralGenerator(options: [:]).generate(job)
        }
        #expect(jobError.description == message)
    }

    @Test func unknownOptionsAreIgnored() throws {
        _ = try ProceduralGenerator(options: ["retries": .number(3), "timeout_s": .number(10)])
    }

    static let invalidSizes: [(String, JSONValue)] = [
        ("width", .number(7)), ("width", .number(4097)), ("height", .number(100.5)), ("height", .string("512")),
        ("width", .null),
    ]

    @Test(arguments: invalidSizes)
    func invalidSizesAreRejected(name: String, value: JSONValue) async throws {
        var request = TestSupport.request("a cat")
        request.params[name] = value
        let job = TestSupport.job(request)
        let error = try await #require(throws: GeneratorError.self) {
            try await ProceduralGenerator(options: [:]).generate(job)
        }
        #expect(error.message == "params.\(name) must be an integer between 8 and 4096")
        #expect(!error.isTransient)
    }

    @Test func unknownModelIsRejected() async throws {
        var request = TestSupport.request("a cat")
        request.model = "procedural-v2"
        let job = TestSupport.job(request)
        let error = try await #require(throws: GeneratorError.self) {
            try await ProceduralGenerator(options: [:]).generate(job)
        }
        #expect(error.message == "the procedural backend has no model procedural-v2 (it has procedural-v1)")
    }
}

extension Array {
    /// Maps the elements in order with an async transform.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
