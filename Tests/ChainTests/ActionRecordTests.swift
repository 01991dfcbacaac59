import Formats
import Testing

@testable import Chain
@testable import Store

/// The trust checks on what a remote cache sends: only a record of exactly the asked key, with a request that hashes
/// to it, gets through.
@Suite struct ActionRecordTests {
    static let request = GenerationRequest(
        backend: "procedural", model: "procedural-v1", params: ["width": .number(48)], prompt: "a red boat",
        inputs: [SHA256.hash(data: Array("input".utf8))], take: 1)

    static func record(key: Digest? = nil, request: String? = nil, inputs: [Digest]? = nil) -> ActionRecord {
        ActionRecord(
            generation: GenerationRecord(
                key: key ?? Self.request.key, request: request ?? Self.request.canonicalText,
                output: SHA256.hash(data: Array("output".utf8)), backend: "procedural", model: "procedural-v1",
                modelVersion: "v9", providerID: "pred-1", usage: #"{"cost":0.04}"#,
                createdAt: "2026-12-04T10:00:00.000Z",
                durationMilliseconds: 12, inputs: inputs ?? Self.request.inputs, cost: 0.04, costBasis: "per_image 0.04"),
            mediaType: .png, size: 6)
    }

    @Test func aRecordRoundTripsWithEverythingButSecrets() throws {
        let original = Self.record()
        let decoded = try ActionRecord.decode(original.bytes, expectedKey: Self.request.key)
        #expect(decoded.generation.request == Self.request.canonicalText)
        #expect(decoded.generation.output == original.generation.output)
        #expect(decoded.generation.inputs == Self.request.inputs)
        #expect(decoded.generation.modelVersion == "v9")
        #expect(decoded.generation.providerID == "pred-1")
        #expect(decoded.generation.usage == #"{"cost":0.04}"#)
        #expect(decoded.generation.origin == "remote")
        #expect(decoded.generation.cost == 0.04)
        #expect(decoded.generation.costBasis == "per_image 0.04")
        #expect(decoded.mediaType == .png)
        #expect(decoded.size == 6)
        // The document is canonical JSON: the same generation always uploads the same bytes.
        #expect(CanonicalJSON.bytes(try JSONParser.parse(original.bytes)) == original.bytes)
    }

    @Test func aRecordOfAnotherKeyIsRejected() throws {
        let other = SHA256.hash(data: Array("other".utf8))
        let error = #expect(throws: RemoteCacheError.self) {
            try ActionRecord.decode(Self.record().bytes, expectedKey: other)
        }
        #expect(error?.kind == .rejected)
        #expect(
            error?.message
                == "the remote's action record for \(other) was rejected: it is the record of another key, \(Self.request.key)"
        )
    }

    @Test func aRecordWhoseRequestDoesNotHashToItsKeyIsRejected() throws {
        let forged = Self.record(request: Self.request.canonicalText.replacingOccurrences(of: "red", with: "blue"))
        let error = #expect(throws: RemoteCacheError.self) {
            try ActionRecord.decode(forged.bytes, expectedKey: Self.request.key)
        }
        #expect(error?.message.hasSuffix("its request does not hash to the key") == true)
    }

    @Test func aRecordWhoseInputsAreNotTheRequestsIsRejected() throws {
        let forged = Self.record(inputs: [])
        let error = #expect(throws: RemoteCacheError.self) {
            try ActionRecord.decode(forged.bytes, expectedKey: Self.request.key)
        }
        #expect(error?.message.hasSuffix("its inputs are not the request's inputs") == true)
    }

    @Test(arguments: ["", "not json", "[1,2]", #"{"format":"framechain.action/v0"}"#])
    func anUnparsableRecordIsRejected(_ text: String) throws {
        let error = #expect(throws: RemoteCacheError.self) {
            try ActionRecord.decode(Array(text.utf8), expectedKey: Self.request.key)
        }
        #expect(error?.kind == .rejected)
        #expect(error?.message.hasPrefix("the remote's action record for \(Self.request.key) was rejected: ") == true)
    }
}
