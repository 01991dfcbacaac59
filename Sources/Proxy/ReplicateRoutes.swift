import Formats
import Foundation
import Hummingbird
import NIOCore
import Store

/// The Replicate predictions API (API-CONTRACTS §1–2): create, get, cancel and file uploads.
///
/// Every create is answered at once with a terminal prediction (`succeeded`, or the upstream's `failed`), so the
/// client never polls; the output is a `data:` URI, which the Python client wraps in a `FileOutput` and reads
/// locally. The prediction id is the key's hex, so `GET /v1/predictions/<id>` is answered from the store alone.
extension ProxyRoutes {
    func createPrediction(_ request: Request, model: String?) async -> Response {
        if configuration.mode == .passthrough {
            return await forward(request, to: upstream.replicateBase, path: request.uri.path, provider: "replicate")
        }
        do {
            let body = try Self.jsonObject(try await self.body(of: request))
            guard case .object(let input)? = body["input"] else {
                throw ProxyRequestError("input: required, and must be an object", status: 422)
            }
            var modelReference = model ?? ""
            if model == nil {
                guard case .string(let version)? = body["version"], !version.isEmpty else {
                    throw ProxyRequestError("version: required when creating a prediction by version", status: 422)
                }
                modelReference = version
            }
            let store = self.store
            let keyed = try ReplicateKeys.request(model: modelReference, input: input) {
                text throws(ProxyRequestError) in
                try Self.resolveImage(text, store: store)
            }
            let route = model.map { "POST /v1/models/\($0)/predictions" } ?? "POST /v1/predictions"
            let upstreamBody = Self.upstreamBody(body, images: keyed.images)
            let headers = authorization(request, provider: "replicate")
            let path = request.uri.path
            let upstream = self.upstream
            let outputs = try await session.answer(keyed, route: route) { () async throws(UpstreamReply) in
                try await upstream.replicatePrediction(path: path, body: upstreamBody, headers: headers)
            }
            let prediction = Self.prediction(
                id: keyed.keys[0].hexString, model: modelReference, input: .object(input), outputs: outputs,
                base: base(of: request))
            return Reply.json(prediction, status: 201)
        } catch {
            return failure(error, openAI: false)
        }
    }

    func getPrediction(_ request: Request, id: String) async -> Response {
        if configuration.mode == .passthrough {
            return await forward(request, to: upstream.replicateBase, path: request.uri.path, provider: "replicate")
        }
        guard let key = Digest(hexString: id), let generation = try? store.generation(for: key),
            let bytes = try? store.contents(of: generation.output)
        else { return Reply.problem(404, "Not Found", "prediction \(id) is not recorded by this proxy") }
        var input: [String: JSONValue] = [:]
        if case .object(let request)? = try? JSONParser.parse(Array(generation.request.utf8)) {
            if case .object(let params)? = request["params"] { input = params }
            input["prompt"] = request["prompt"]
            if case .array(let inputs)? = request["inputs"], !inputs.isEmpty {
                input[ReplicateKeys.imageField] = .array(inputs)
            }
        }
        let outputs = CallOutputs(
            digests: [generation.output], images: [bytes], modelVersion: generation.modelVersion,
            usage: generation.usage, createdAt: generation.createdAt, hit: true)
        return Reply.json(
            Self.prediction(
                id: id, model: generation.model, input: .object(input), outputs: outputs, base: base(of: request)))
    }

    func createFile(_ request: Request) async -> Response {
        if configuration.mode == .passthrough {
            return await forward(request, to: upstream.replicateBase, path: request.uri.path, provider: "replicate")
        }
        do {
            let form = try FormData.parse(try await body(of: request), contentType: request.headers[.contentType])
            guard let part = form.parts.first(where: { $0.name == "content" }) else {
                throw ProxyRequestError("the upload has no part named content", status: 422)
            }
            guard let image = ProxyImage(bytes: part.body) else {
                throw ProxyRequestError(
                    "content (\(part.filename ?? "no file name")): not a PNG, JPEG or WebP image", status: 422)
            }
            _ = try store.put(bytes: image.bytes)
            return Reply.json(Self.file(image, name: part.filename, base: base(of: request)), status: 201)
        } catch {
            return failure(error, openAI: false)
        }
    }

    func getFile(_ request: Request, id: String) async -> Response {
        if configuration.mode == .passthrough {
            return await forward(request, to: upstream.replicateBase, path: request.uri.path, provider: "replicate")
        }
        guard let digest = Digest(hexString: id), let bytes = try? store.contents(of: digest),
            let image = ProxyImage(bytes: bytes)
        else { return Reply.problem(404, "Not Found", "file \(id) is not known to this proxy") }
        return Reply.json(Self.file(image, name: nil, base: base(of: request)))
    }

    // MARK: Pieces

    /// A `data:` URI, or a file URL this proxy issued (`…/v1/files/<64 hex>`), as an image; `nil` for other text.
    static func resolveImage(_ text: String, store: Store) throws(ProxyRequestError) -> ProxyImage? {
        if let image = try ReplicateKeys.decodeDataURI(text) { return image }
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), let range = text.range(of: "/v1/files/") else {
            return nil
        }
        let id = text[range.upperBound...]
        guard let digest = Digest(hexString: id) else { return nil }
        guard let bytes = try? store.contents(of: digest), let image = ProxyImage(bytes: bytes) else {
            throw ProxyRequestError("file \(id) is not known to this proxy: upload it with POST /v1/files", status: 422)
        }
        return image
    }

    /// The create body sent upstream: `input` with this proxy's file URLs replaced by `data:` URIs, and `version`.
    static func upstreamBody(_ body: [String: JSONValue], images: [ProxyImage]) -> [UInt8] {
        func rewrite(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text) where text.contains("/v1/files/"):
                let id = text.split(separator: "/").last.map(String.init) ?? ""
                if let image = images.first(where: { $0.digest.hexString == id }) {
                    return .string(dataURI(image.bytes))
                }
                return value
            case .array(let items): return .array(items.map(rewrite))
            case .object(let members): return .object(members.mapValues(rewrite))
            default: return value
            }
        }
        var out: [String: JSONValue] = ["input": rewrite(body["input"] ?? .object([:]))]
        if let version = body["version"] { out["version"] = version }
        return Array(CanonicalJSON.string(.object(out)).utf8)
    }

    static func prediction(id: String, model: String, input: JSONValue, outputs: CallOutputs, base: String) -> JSONValue
    {
        var usage: [String: JSONValue] = [:]
        if let text = outputs.usage, case .object(let members)? = try? JSONParser.parse(Array(text.utf8)) {
            usage = members
        }
        let uris = outputs.images.map { JSONValue.string(dataURI($0)) }
        let output: JSONValue = usage["output_shape"] == .string("list") ? .array(uris) : uris[0]
        return .object([
            "id": .string(id), "model": .string(model), "version": .string(outputs.modelVersion ?? "hidden"),
            "input": input, "logs": .string(""), "output": output, "data_removed": .bool(false), "error": .null,
            "status": .string("succeeded"), "created_at": .string(outputs.createdAt),
            "started_at": .string(outputs.createdAt), "completed_at": .string(outputs.createdAt),
            "metrics": usage["metrics"] ?? .object([:]),
            "urls": .object([
                "get": .string("\(base)/v1/predictions/\(id)"),
                "cancel": .string("\(base)/v1/predictions/\(id)/cancel"),
            ]),
        ])
    }

    static func file(_ image: ProxyImage, name: String?, base: String) -> JSONValue {
        let id = image.digest.hexString
        return .object([
            "id": .string(id), "name": .string(name ?? "\(id).\(image.mediaType.fileExtension)"),
            "content_type": .string(image.mediaType.mimeType), "size": .number(Double(image.bytes.count)),
            "etag": .string(id), "checksums": .object(["sha256": .string(id)]), "metadata": .object([:]),
            "created_at": .string(Timestamp.now()), "urls": .object(["get": .string("\(base)/v1/files/\(id)")]),
        ])
    }
}

extension Upstream {
    /// Creates a prediction upstream, polls it to a terminal state and downloads its output.
    /// - Throws: ``UpstreamReply`` to pass to the client: an HTTP error as sent, or a `failed`/`canceled` prediction.
    func replicatePrediction(path: String, body: [UInt8], headers: [(String, String)]) async throws(UpstreamReply)
        -> UpstreamImages
    {
        let started = ContinuousClock.now
        let common = headers + [("User-Agent", "framechain-serve")]
        var reply = try await send(
            .POST, replicateBase + path, headers: common + [("Content-Type", "application/json"), ("Prefer", "wait")],
            body: body)
        while true {
            guard (200..<300).contains(reply.status) else { throw reply }
            guard case .object(let prediction)? = try? JSONParser.parse(reply.body),
                case .string(let status)? = prediction["status"]
            else { throw .problem(502, "Bad Gateway", "the upstream prediction is not JSON with a status") }
            let output = prediction["output"] ?? .null
            let finished = status == "succeeded" || (status == "processing" && output != .null)
            switch finished ? "finished" : status {
            case "finished":
                var urls: [String] = []
                switch output {
                case .string(let url): urls = [url]
                case .array(let items): urls = items.compactMap { if case .string(let url) = $0 { url } else { nil } }
                default: break
                }
                guard !urls.isEmpty else {
                    throw .problem(502, "Bad Gateway", "the upstream prediction has no output URL")
                }
                var images: [[UInt8]] = []
                for url in urls { images.append(try await download(url)) }
                var usage: [String: JSONValue] = ["metrics": prediction["metrics"] ?? .object([:])]
                if case .array = output { usage["output_shape"] = .string("list") }
                let elapsed = ContinuousClock.now - started
                return UpstreamImages(
                    images: images,
                    modelVersion: prediction["version"].flatMap { if case .string(let v) = $0 { v } else { nil } },
                    providerID: prediction["id"].flatMap { if case .string(let v) = $0 { v } else { nil } },
                    usage: CanonicalJSON.string(.object(usage)),
                    durationMilliseconds: Int(
                        elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000))
            case "failed", "canceled":
                throw reply
            default:
                guard ContinuousClock.now - started < maxWait else {
                    throw .problem(504, "Gateway Timeout", "the upstream prediction did not finish in time")
                }
                try? await Task.sleep(for: pollInterval)
                // Polled at the upstream base, never at a URL from the answer: the token goes nowhere else.
                guard case .string(let id)? = prediction["id"], !id.contains("/") else {
                    throw .problem(502, "Bad Gateway", "the upstream prediction has no id to poll")
                }
                reply = try await send(.GET, replicateBase + "/v1/predictions/" + id, headers: common)
            }
        }
    }
}
