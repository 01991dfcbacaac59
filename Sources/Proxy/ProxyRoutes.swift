import Formats
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Store

/// The routes of `framechain serve` and what they share: body reading, error mapping and passthrough forwarding.
struct ProxyRoutes: Sendable {
    let configuration: ProxyConfiguration
    let session: ProxySession
    let upstream: Upstream

    var store: Store { session.store }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/models/:owner/:name/predictions") { request, context in
            let model = "\(context.parameters.get("owner") ?? "")/\(context.parameters.get("name") ?? "")"
            return await createPrediction(request, model: model)
        }
        router.post("/v1/predictions") { request, _ in await createPrediction(request, model: nil) }
        router.get("/v1/predictions/:id") { request, context in
            await getPrediction(request, id: context.parameters.get("id") ?? "")
        }
        router.post("/v1/predictions/:id/cancel") { request, context in
            await getPrediction(request, id: context.parameters.get("id") ?? "")
        }
        router.get("/v1/models/:owner/:name/versions/:version") { request, context in
            await getModelVersion(
                request, owner: context.parameters.get("owner") ?? "", name: context.parameters.get("name") ?? "",
                version: context.parameters.get("version") ?? "")
        }
        router.post("/v1/files") { request, _ in await createFile(request) }
        router.get("/v1/files/:id") { request, context in await getFile(request, id: context.parameters.get("id") ?? "")
        }
        router.post("/v1/images/generations") { request, _ in await openAIImages(request, edit: false) }
        router.post("/v1/images/edits") { request, _ in await openAIImages(request, edit: true) }
        router.get("/framechain/blobs/:digest") { _, context in blob(context.parameters.get("digest") ?? "") }
    }

    // MARK: Shared

    /// `http://<Host>` as the client addressed the proxy, for the URLs in answers.
    func base(of request: Request) -> String {
        "http://\(request.head.authority ?? "\(configuration.host):\(configuration.port)")"
    }

    /// The request body, up to the configured limit.
    func body(of request: Request) async throws(ProxyRequestError) -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw Self.tooLarge(configuration.maxBodyBytes)
        }
        do {
            return try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw Self.tooLarge(configuration.maxBodyBytes)
        } catch {
            throw ProxyRequestError("the request body could not be read", status: 400)
        }
    }

    static func tooLarge(_ limit: Int) -> ProxyRequestError {
        ProxyRequestError("the request body is larger than the proxy's limit of \(limit) bytes", status: 413)
    }

    /// Parses a JSON object body, with the parser's line and column on error.
    static func jsonObject(_ buffer: ByteBuffer) throws(ProxyRequestError) -> [String: JSONValue] {
        let value: JSONValue
        do { value = try JSONParser.parse(Array(buffer: buffer)) } catch {
            throw ProxyRequestError("the request body is not valid JSON: \(error)")
        }
        guard case .object(let members) = value else {
            throw ProxyRequestError("the request body must be a JSON object")
        }
        return members
    }

    /// The `Authorization` to send upstream: the client's own, or with `--token-file` the proxy's provider token.
    func authorization(_ request: Request, provider: String) -> [(String, String)] {
        if configuration.clientToken != nil {
            return configuration.upstreamTokens[provider].map { [("Authorization", "Bearer \($0)")] } ?? []
        }
        return request.headers[.authorization].map { [("Authorization", $0)] } ?? []
    }

    /// Passthrough: the request goes upstream as it came (credentials, body) and the answer comes back as it was.
    func forward(_ request: Request, to base: String, path: String, provider: String) async -> Response {
        let body: ByteBuffer
        do { body = try await self.body(of: request) } catch {
            return Reply.problem(error.status, Reply.title(error.status), error.message)
        }
        var headers = authorization(request, provider: provider)
        for name in [HTTPField.Name.contentType, .accept, HTTPField.Name("Prefer")!] {
            if let value = request.headers[name] { headers.append((name.rawName, value)) }
        }
        let query = request.uri.query.map { "?\($0)" } ?? ""
        let method = NIOHTTP1.HTTPMethod(rawValue: request.method.rawValue)
        do throws(UpstreamReply) {
            let reply = try await upstream.send(
                method, base + path + query, headers: headers, body: request.method == .get ? nil : Array(buffer: body))
            return Reply.upstream(reply)
        } catch {
            return Reply.upstream(error)
        }
    }

    /// The error answer of a failed call, in the API's own shape.
    func failure(_ error: any Error, openAI: Bool) -> Response {
        switch error {
        case let miss as ReplayMiss:
            let extra: [String: JSONValue] = [
                "key": .string(miss.key.description), "nearest": miss.nearest.map { .string($0.description) } ?? .null,
                "differs_in": .array(miss.differences.map(JSONValue.string)),
            ]
            if openAI {
                var response = Reply.openAIError(404, miss.detail, type: "framechain_replay_miss", code: "replay_miss")
                response.headers[HTTPField.Name("x-framechain-key")!] = miss.key.description
                return response
            }
            return Reply.problem(404, "Not recorded", miss.detail, extra: extra)
        case let reply as UpstreamReply:
            return Reply.upstream(reply)
        case let invalid as ProxyRequestError:
            let title = Reply.title(invalid.status)
            return openAI
                ? Reply.openAIError(invalid.status, invalid.message, type: "invalid_request_error")
                : Reply.problem(invalid.status, title, invalid.message)
        case let stored as StoreError:
            return Reply.problem(500, "Internal Server Error", "framechain store: \(stored.message)")
        default:
            return Reply.problem(500, "Internal Server Error", "framechain serve: \(type(of: error))")
        }
    }

    /// `GET /framechain/blobs/sha256:<hex>` (or `<hex>`): an output, for answers that carry URLs.
    func blob(_ text: String) -> Response {
        guard let digest = Digest(parsing: text) ?? Digest(hexString: text.split(separator: ".").first ?? ""),
            let bytes = try? store.contents(of: digest)
        else { return Reply.problem(404, "Not Found", "no blob \(text) in the store") }
        let type = MediaType.sniff(bytes.prefix(16))?.mimeType ?? "application/octet-stream"
        return Reply.bytes(bytes, status: 200, headers: [("Content-Type", type)])
    }

    /// `data:<type>;base64,<bytes>`.
    static func dataURI(_ bytes: [UInt8]) -> String {
        let type = MediaType.sniff(bytes.prefix(16))?.mimeType ?? "application/octet-stream"
        return "data:\(type);base64," + Data(bytes).base64EncodedString()
    }
}
