import Formats
import Foundation
import Hummingbird
import NIOCore
import Store

/// The OpenAI images API (API-CONTRACTS §3): generations (JSON) and edits (multipart).
///
/// A miss is forwarded upstream with the client's body as it came (boundary and all); the answer's images, from
/// `b64_json` or downloaded from `url`, are stored as takes 1…n. The client gets `b64_json`, or with
/// `response_format: url` a URL of this proxy (`/framechain/blobs/<digest>`), which outlives OpenAI's hour.
extension ProxyRoutes {
    func openAIImages(_ request: Request, edit: Bool) async -> Response {
        let endpoint = edit ? "/images/edits" : "/images/generations"
        if configuration.mode == .passthrough {
            return await forward(request, to: upstream.openAIBase, path: endpoint, provider: "openai")
        }
        do {
            let buffer = try await body(of: request)
            let keyed: ProxyRequest
            var wantsURL = false
            if edit {
                let form = try FormData.parse(buffer, contentType: request.headers[.contentType])
                keyed = try OpenAIKeys.edit(form)
                wantsURL = form.parts.contains { $0.name == "response_format" && $0.body == Array("url".utf8) }
            } else {
                let body = try Self.jsonObject(buffer)
                keyed = try OpenAIKeys.generation(body)
                wantsURL = body["response_format"] == .string("url")
            }
            let headers =
                authorization(request, provider: "openai") + [
                    ("Content-Type", request.headers[.contentType] ?? "application/json")
                ]
            let bytes = Array(buffer: buffer)
            let upstream = self.upstream
            let url = upstream.openAIBase + endpoint
            let outputs = try await session.answer(keyed, route: "POST /v1\(endpoint)") {
                () async throws(UpstreamReply) in
                try await upstream.openAIImages(url: url, body: bytes, headers: headers)
            }
            var usage: JSONValue?
            if let text = outputs.usage, let value = try? JSONParser.parse(Array(text.utf8)) { usage = value }
            let base = base(of: request)
            var answer: [String: JSONValue] = [
                "created": .number(Double(Int(Date().timeIntervalSince1970))),
                "data": .array(
                    zip(outputs.digests, outputs.images).map { digest, image in
                        wantsURL
                            ? .object(["url": .string("\(base)/framechain/blobs/\(digest)")])
                            : .object(["b64_json": .string(Data(image).base64EncodedString())])
                    }),
            ]
            if let usage { answer["usage"] = usage }
            return Reply.json(.object(answer))
        } catch {
            return failure(error, openAI: true)
        }
    }
}

extension Upstream {
    /// Forwards an images call and collects its images (`b64_json`, or downloaded `url`s).
    func openAIImages(url: String, body: [UInt8], headers: [(String, String)]) async throws(UpstreamReply)
        -> UpstreamImages
    {
        let started = ContinuousClock.now
        let reply = try await send(.POST, url, headers: headers + [("User-Agent", "framechain-serve")], body: body)
        guard reply.status == 200 else { throw reply }
        guard case .object(let answer)? = try? JSONParser.parse(reply.body), case .array(let data)? = answer["data"]
        else {
            throw UpstreamReply(
                status: 502, headers: [("Content-Type", "application/json")],
                body: Array(
                    #"{"error":{"message":"the upstream answer is not an images response","type":"server_error"}}"#.utf8
                ))
        }
        var images: [[UInt8]] = []
        for item in data {
            guard case .object(let members) = item else { continue }
            if case .string(let encoded)? = members["b64_json"] {
                guard let decoded = Data(base64Encoded: encoded), ProxyImage(bytes: [UInt8](decoded)) != nil else {
                    throw .problem(502, "Bad Gateway", "the upstream b64_json is not a PNG, JPEG or WebP image")
                }
                images.append([UInt8](decoded))
            } else if case .string(let link)? = members["url"] {
                images.append(try await download(link))
            }
        }
        let elapsed = ContinuousClock.now - started
        return UpstreamImages(
            images: images, modelVersion: nil, providerID: nil, usage: answer["usage"].map(CanonicalJSON.string),
            durationMilliseconds: Int(
                elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000))
    }
}
