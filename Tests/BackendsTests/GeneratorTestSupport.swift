import Formats
import FrameChainTestKit
import Store

@testable import Backends
@testable import Chain

/// Requests, jobs and inputs for the generator tests.
extension TestSupport {
    /// A request for the procedural backend.
    static func request(
        _ prompt: String, width: Int = 96, height: Int = 160, inputs: [Digest] = [], take: Int = 1
    ) -> GenerationRequest {
        GenerationRequest(
            backend: "procedural", model: "procedural-v1",
            params: ["width": .number(Double(width)), "height": .number(Double(height))], prompt: prompt,
            inputs: inputs, take: take)
    }

    /// A job for `request` with `inputs` (their digests are taken from the request's order).
    static func job(
        _ request: GenerationRequest, inputs: [GeneratorInput] = [], options: [String: JSONValue] = [:]
    ) -> GenerationJob {
        GenerationJob(request: request, inputs: inputs, options: options, node: "ref/1")
    }

    /// Wraps image bytes as a generator input.
    static func input(_ bytes: [UInt8]) -> GeneratorInput {
        GeneratorInput(digest: SHA256.hash(data: bytes), mediaType: MediaType.sniff(bytes)!, bytes: bytes)
    }

}
