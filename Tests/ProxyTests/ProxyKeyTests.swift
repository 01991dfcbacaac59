import Formats
import Foundation
import Store
import Testing

@testable import Proxy

/// The key recipe of docs/PROXY.md, including its worked example (expected values computed with Python's
/// hashlib and json, not with framechain).
@Suite struct ProxyKeyTests {
    /// The 73-byte 2×2 PNG of the worked example.
    static let png = [UInt8](
        Data(
            base64Encoded:
                "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGPgEpEDIgYIBQAGTgDxOGMygQAAAABJRU5ErkJggg==")!
    )
    static let dataURI = "data:image/png;base64," + Data(png).base64EncodedString()
    static let noFiles: ReplicateKeys.Resolver = { text throws(ProxyRequestError) in
        try ReplicateKeys.decodeDataURI(text)
    }

    static func object(_ text: String) throws -> [String: JSONValue] {
        guard case .object(let members) = try JSONParser.parse(Array(text.utf8)) else {
            throw ProxyRequestError("not an object")
        }
        return members
    }

    @Test func replicateWorkedExample() throws {
        // Key order, the Prefer header, webhooks: none of it is in the key.
        let input = try Self.object(
            #"{"output_format": "png", "image_input": ["\#(Self.dataURI)"], "prompt": "The bottle on wet black sand at night", "aspect_ratio": "16:9"}"#
        )
        let request = try ReplicateKeys.request(model: "google/nano-banana", input: input, resolve: Self.noFiles)
        #expect(
            request.images.map(\.digest.description) == [
                "sha256:de72becc36282c968ceb322793a8cd7e06befd95d161ee76ad9ebe0ecd09f626"
            ])
        #expect(
            request.requests[0].canonicalText
                == #"{"format":"framechain.request/v1","generator":{"backend":"replicate","model":"google/nano-banana"},"inputs":["sha256:de72becc36282c968ceb322793a8cd7e06befd95d161ee76ad9ebe0ecd09f626"],"params":{"aspect_ratio":"16:9","output_format":"png"},"prompt":"The bottle on wet black sand at night","take":1}"#
        )
        #expect(
            request.keys == [
                Digest(parsing: "sha256:3b41fd83225116c6d9c39487716731f2de3d714e32c090795dc155627f80bf1f")!
            ])
    }

    @Test func openAIEditWorkedExampleIgnoresBoundaryFileNamesAndPartOrder() throws {
        func form(_ boundary: String, _ parts: [(String, String?, [UInt8])]) throws -> FormData {
            var body: [UInt8] = []
            for (name, filename, bytes) in parts {
                var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
                if let filename { head += "; filename=\"\(filename)\"\r\nContent-Type: image/png" }
                body += Array((head + "\r\n\r\n").utf8) + bytes + Array("\r\n".utf8)
            }
            body += Array("--\(boundary)--\r\n".utf8)
            return try FormData.parse(bytes: body, contentType: "multipart/form-data; boundary=\(boundary)")
        }
        let text = { (value: String) in Array(value.utf8) }
        let first = try OpenAIKeys.edit(
            try form(
                "3f9a0c",
                [
                    ("prompt", nil, text("Close-up of the bottle, a wave approaching")),
                    ("model", nil, text("gpt-image-1")),
                    ("n", nil, text("2")), ("quality", nil, text("low")), ("size", nil, text("1024x1024")),
                    ("user", nil, text("someone")), ("image[]", "a.png", Self.png),
                ]))
        let second = try OpenAIKeys.edit(
            try form(
                "other-boundary",
                [
                    ("image", "b/c.png", Self.png), ("size", nil, text("1024x1024")), ("n", nil, text("2")),
                    ("quality", nil, text("low")), ("model", nil, text("gpt-image-1")),
                    ("prompt", nil, text("Close-up of the bottle, a wave approaching")),
                ]))
        #expect(first.keys == second.keys)
        #expect(first.keys.count == 2)
        #expect(
            first.requests[1].canonicalText
                == #"{"format":"framechain.request/v1","generator":{"backend":"openai","model":"gpt-image-1"},"inputs":["sha256:de72becc36282c968ceb322793a8cd7e06befd95d161ee76ad9ebe0ecd09f626"],"params":{"quality":"low","size":"1024x1024"},"prompt":"Close-up of the bottle, a wave approaching","take":2}"#
        )
        #expect(
            first.keys[1] == Digest(parsing: "sha256:601402d5cf0dee1785cff8fa14e9c7b4e8b54156d22b7710c4f48b5063daa275")!
        )
    }

    @Test func generationsLeaveDeliveryFieldsOutAndMatchAPlanRequest() throws {
        let proxied = try OpenAIKeys.generation(
            try Self.object(
                #"{"prompt": "a cat", "model": "gpt-image-1", "n": 1, "size": "1024x1024", "response_format": "b64_json", "user": "u1"}"#
            ))
        let plain = try OpenAIKeys.generation(
            try Self.object(#"{"model":"gpt-image-1","size":"1024x1024","prompt":"a cat"}"#))
        #expect(proxied.keys == plain.keys)
        #expect(proxied.requests[0].params == ["size": .string("1024x1024")])
    }

    @Test func badBodiesNameTheField() throws {
        #expect(throws: ProxyRequestError("n: expected an integer from 1 to 10")) {
            try OpenAIKeys.generation(try Self.object(#"{"prompt": "x", "n": 11}"#))
        }
        #expect(
            throws: ProxyRequestError(
                "input.image_input[0]: the data: URI is not a PNG, JPEG or WebP image", status: 422)
        ) {
            try ReplicateKeys.request(
                model: "a/b", input: try Self.object(#"{"image_input": ["data:image/png;base64,aGVsbG8="]}"#),
                resolve: { text throws(ProxyRequestError) in
                    try ReplicateKeys.decodeDataURI(text, field: "input.image_input[0]")
                })
        }
        #expect(throws: ProxyRequestError("the multipart/form-data Content-Type has no boundary parameter")) {
            try FormData.parse(bytes: [], contentType: "multipart/form-data")
        }
    }
}
