import Chain
import Formats
import Foundation
import Store

/// The `replicate` backend: Replicate's HTTP predictions API (API-CONTRACTS §1).
///
/// The model is `owner/name` (an official model, `POST /v1/models/{owner}/{name}/predictions`) or
/// `owner/name:version` (`POST /v1/predictions` with `version`). The body is
/// `{"input": {<params…>, "prompt": …, "<image_field>": [image, …]}}`; each input image goes as a
/// `data:` URI when smaller than 1 MB and is otherwise uploaded through `POST /v1/files` and
/// referenced by its `urls.get`. The create call asks the server to hold the reply (`Prefer: wait`);
/// an unfinished prediction is then polled with `GET /v1/predictions/{id}`. The output URL (a string,
/// or the first of a list) is downloaded at once and must be an image.
///
/// Options: `base_url` (default `https://api.replicate.com`), `timeout_s` per HTTP call (default
/// 120), `poll_interval_ms` (500), `max_wait_s` for the whole prediction (1800), `image_field`
/// (`image_input`), and the retry options of ``RetryPolicy``. The token comes from
/// `REPLICATE_API_TOKEN` and is never printed.
///
/// Errors: 408/409/429/5xx are transient (with `Retry-After`); other 4xx, a `failed` or `canceled`
/// prediction, a non-image output and malformed replies are permanent. A create call that timed out
/// or broke before a prediction id came back is permanent too: a paid prediction may have started,
/// and a retry could pay twice. Once a prediction exists, polls and the download are retried here
/// (they are idempotent) and their final failure is permanent. Cancelling the task while a
/// prediction runs sends `POST /v1/predictions/{id}/cancel` and throws `CancellationError`.
public struct ReplicateGenerator: Generator {
    /// The environment variable holding the API token.
    public static let tokenVariable = "REPLICATE_API_TOKEN"
    /// The API endpoint used unless `options.base_url` says otherwise.
    public static let defaultBaseURL = "https://api.replicate.com"

    /// Images smaller than this go inline as `data:` URIs; larger ones are uploaded first.
    static let inlineLimit = 1_000_000
    /// The options this backend understands.
    static let knownOptions: Set<String> = [
        "base_url", "timeout_s", "poll_interval_ms", "max_wait_s", "image_field", "input_fields", "retries",
        "retry_base_ms", "retry_max_ms",
    ]
    private static let provider = "replicate"

    private let token: APIToken?
    private let http = ProviderHTTP()
    /// Whether this instance makes clips (a plan's `clips.generator`): see `ReplicateGenerator+Video.swift`.
    let producesVideo: Bool

    /// Creates the backend.
    ///
    /// - Parameters:
    ///   - token: The API token (from `REPLICATE_API_TOKEN`); with `nil` or an empty token every call fails with
    ///     an error naming the variable.
    ///   - producesVideo: Whether it makes clips from a start and an end frame (an image-to-video model) rather
    ///     than images.
    public init(token: String?, producesVideo: Bool = false) {
        self.token = APIToken(token)
        self.producesVideo = producesVideo
    }

    /// The settings read from a job's options.
    struct Settings: Sendable {
        var baseURL: String
        var timeout: Duration
        var pollInterval: Duration
        var maxWait: Duration
        var imageField: String
        /// The input names of a clip's frames, in input order (video mode only).
        var inputFields: [String]
        var retry: RetryPolicy

        init(options: [String: JSONValue]) throws(GeneratorError) {
            let reader = GeneratorOptions(options)
            try reader.checkKnown(ReplicateGenerator.knownOptions, backend: "replicate")
            baseURL = try baseURLOption(reader, default: ReplicateGenerator.defaultBaseURL)
            timeout = try reader.seconds("timeout_s", default: 120)
            pollInterval = try reader.milliseconds("poll_interval_ms", default: 500)
            maxWait = try reader.seconds("max_wait_s", default: 1800)
            imageField = try reader.string("image_field") ?? "image_input"
            inputFields = try reader.strings("input_fields") ?? ReplicateGenerator.defaultVideoInputFields
            retry = try RetryPolicy(options: options)
        }

        /// The `Prefer` header: wait for the result, but answer before our own timeout expires.
        var preferHeader: String {
            let seconds = timeout.components.seconds
            return "wait=\(min(60, max(1, seconds / 2)))"
        }
    }

    /// A model reference: `owner/name`, optionally pinned with `:version`.
    struct ModelReference: Sendable, Hashable {
        var owner: String
        var name: String
        var version: String?

        init(_ text: String) throws(GeneratorError) {
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let path = parts[0].split(separator: "/", omittingEmptySubsequences: false)
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
            let isName = { (part: Substring) in !part.isEmpty && part.allSatisfy(allowed.contains) }
            guard path.count == 2, isName(path[0]), isName(path[1]), parts.count == 1 || isName(parts[1]) else {
                throw GeneratorError(
                    "replicate model \"\(text)\" is not of the form owner/name or owner/name:version")
            }
            owner = String(path[0])
            name = String(path[1])
            version = parts.count == 2 ? String(parts[1]) : nil
        }
    }

    /// Makes one image through a Replicate prediction.
    ///
    /// - Parameter job: The job; its request's `model` is the Replicate model reference.
    /// - Returns: The downloaded image, with the prediction's `version`, `id` and `metrics`.
    /// - Throws: ``GeneratorError`` or `CancellationError`.
    public func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        guard let token else {
            throw GeneratorError(
                "the replicate backend needs an API token: set \(Self.tokenVariable) in the environment")
        }
        do {
            return try await Call(job: job, token: token, http: http, producesVideo: producesVideo).run()
        } catch let error as GeneratorError {
            throw token.redacting(error)
        }
    }
}

// MARK: - One call

extension ReplicateGenerator {
    /// The state of one generation.
    struct Call: Sendable {
        let job: GenerationJob
        let token: APIToken
        let http: ProviderHTTP
        let settings: Settings
        let model: ModelReference
        let producesVideo: Bool

        init(job: GenerationJob, token: APIToken, http: ProviderHTTP, producesVideo: Bool) throws(GeneratorError) {
            self.job = job
            self.token = token
            self.http = http
            self.producesVideo = producesVideo
            self.settings = try Settings(options: job.options)
            self.model = try ModelReference(job.request.model)
        }

        var jsonHeaders: [(String, String)] {
            [token.authorization, ("Content-Type", "application/json"), ("Accept", "application/json")]
        }

        func run() async throws -> GeneratorOutput {
            var input = job.request.params
            let reservedFields = ["prompt"] + (producesVideo ? settings.inputFields : [settings.imageField])
            for reserved in reservedFields where input[reserved] != nil {
                throw GeneratorError(
                    "params.\(reserved) is not allowed with the replicate backend: framechain sends it itself")
            }
            input["prompt"] = .string(job.request.prompt)
            if producesVideo {
                // One frame per named input (`start_image`, `end_image`), each a single image rather than a list.
                guard job.inputs.count == settings.inputFields.count else {
                    throw GeneratorError(
                        "the replicate clip generator maps \(settings.inputFields.count) input(s) "
                            + "(options.input_fields: \(settings.inputFields.joined(separator: ", "))) but the clip has "
                            + "\(job.inputs.count)")
                }
                for (index, image) in job.inputs.enumerated() {
                    input[settings.inputFields[index]] = .string(try await reference(to: image, position: index + 1))
                }
            } else if !job.inputs.isEmpty {
                var images: [JSONValue] = []
                for (index, image) in job.inputs.enumerated() {
                    images.append(.string(try await reference(to: image, position: index + 1)))
                }
                input[settings.imageField] = .array(images)
            }
            var prediction = try await create(input: input)
            let id = try ReplicateReply.predictionID(of: prediction)
            let deadline = ContinuousClock.now + settings.maxWait
            while true {
                if try ReplicateReply.progress(of: prediction, id: id) == .finished {
                    return try await finish(prediction, id: id)
                }
                do {
                    try await Task.sleep(for: settings.pollInterval)
                    guard ContinuousClock.now < deadline else {
                        await cancel(id)
                        throw GeneratorError(
                            "replicate prediction \(id) timed out: not finished within "
                                + "\(ProviderFailure.seconds(settings.maxWait)) s (options.max_wait_s); canceled it")
                    }
                    prediction = try await poll(id)
                } catch {
                    guard Task.isCancelled || error is CancellationError else { throw error }
                    await cancel(id)
                    throw CancellationError()
                }
            }
        }

        // MARK: Inputs

        /// A `data:` URI for a small image, or the URL of an upload for a large one.
        func reference(to image: GeneratorInput, position: Int) async throws -> String {
            if image.bytes.count < ReplicateGenerator.inlineLimit {
                return "data:\(image.mediaType.mimeType);base64," + Data(image.bytes).base64EncodedString()
            }
            var form = MultipartForm()
            form.append(
                file: "content", filename: "input-\(position).\(image.mediaType.fileExtension)",
                contentType: image.mediaType.mimeType, contents: image.bytes)
            let reply: HTTPReply
            do {
                reply = try await http.send(
                    .POST, settings.baseURL + "/v1/files",
                    headers: [token.authorization, ("Content-Type", form.contentType)], body: form.body,
                    timeout: settings.timeout)
            } catch let failure as HTTPFailure {
                throw ProviderFailure.exchange(
                    failure, provider: provider, action: "the upload of input \(position)", timeout: settings.timeout,
                    mayHaveStarted: false)
            }
            guard reply.isSuccess else {
                throw ProviderFailure.status(reply, from: provider, context: " uploading input \(position)")
            }
            guard let url = ProviderJSON(parsing: reply.body)?["urls"]?["get"]?.string else {
                throw GeneratorError("malformed reply from replicate to the upload of input \(position): no urls.get")
            }
            return url
        }

        // MARK: Predictions

        /// Creates the prediction; after this returns, a paid prediction exists.
        private func create(input: [String: JSONValue]) async throws -> ProviderJSON {
            var body: [String: JSONValue] = ["input": .object(input)]
            let url: String
            if let version = model.version {
                body["version"] = .string(version)
                url = settings.baseURL + "/v1/predictions"
            } else {
                url = settings.baseURL + "/v1/models/\(model.owner)/\(model.name)/predictions"
            }
            let reply: HTTPReply
            do {
                reply = try await http.send(
                    .POST, url, headers: jsonHeaders + [("Prefer", settings.preferHeader)],
                    body: CanonicalJSON.bytes(.object(body)), timeout: settings.timeout)
            } catch let failure as HTTPFailure {
                throw ProviderFailure.exchange(
                    failure, provider: provider, action: "the prediction create request", timeout: settings.timeout,
                    mayHaveStarted: true)
            }
            guard reply.isSuccess else { throw ProviderFailure.status(reply, from: provider) }
            guard let prediction = ProviderJSON(parsing: reply.body) else {
                throw GeneratorError(
                    "malformed reply from replicate to the prediction create request (HTTP \(reply.status)): "
                        + "not JSON; a paid prediction may have started, so it was not retried")
            }
            return prediction
        }

        /// Fetches the prediction, retrying transient failures (a GET is safe to repeat).
        private func poll(_ id: String) async throws -> ProviderJSON {
            let reply = try await idempotentGET(
                settings.baseURL + "/v1/predictions/\(id)", authorized: true, action: "polling prediction \(id)")
            guard let prediction = ProviderJSON(parsing: reply.body) else {
                throw GeneratorError("malformed reply from replicate polling prediction \(id): not JSON")
            }
            return prediction
        }

        /// Asks Replicate to stop a prediction; best effort, and not itself cancellable.
        private func cancel(_ id: String) async {
            let url = settings.baseURL + "/v1/predictions/\(id)/cancel"
            let http = self.http
            let headers = [token.authorization]
            await Task {
                _ = try? await http.send(.POST, url, headers: headers, body: [], timeout: .seconds(10))
            }.value
        }

        // MARK: Output

        private func finish(_ prediction: ProviderJSON, id: String) async throws -> GeneratorOutput {
            let url = try ReplicateReply.outputURL(of: prediction, id: id)
            if producesVideo {
                return try await downloadVideo(
                    url, prediction: prediction, id: id, authorized: url.hasPrefix(settings.baseURL + "/"))
            }
            let bytes: [UInt8]
            if url.hasPrefix("data:") {
                guard let decoded = decodeDataURI(url) else {
                    throw GeneratorError("replicate prediction \(id) output is a malformed data: URI")
                }
                bytes = decoded
            } else {
                // Only the API's own origin gets the token; delivery URLs do not need it.
                let reply = try await idempotentGET(
                    url, authorized: url.hasPrefix(settings.baseURL + "/"),
                    action: "downloading the output of prediction \(id)")
                bytes = reply.body
            }
            guard let mediaType = MediaType.sniff(bytes) else {
                throw GeneratorError(
                    "replicate prediction \(id) output is not an image: \(bytes.count) bytes that are not PNG, JPEG or WebP"
                )
            }
            return GeneratorOutput(
                bytes: bytes, mediaType: mediaType, modelVersion: prediction["version"]?.string, providerID: id,
                usage: prediction["metrics"]?.nonEmpty)
        }

        /// A GET retried on transient failures; its final failure is permanent, since the
        /// prediction it belongs to already exists.
        private func idempotentGET(_ url: String, authorized: Bool, action: String) async throws -> HTTPReply {
            try await http.getRetrying(
                url, headers: authorized ? [token.authorization] : [], timeout: settings.timeout,
                policy: settings.retry, provider: provider, action: action)
        }
    }
}

// MARK: - Helpers shared by the HTTP backends

/// Reads `options.base_url`: an `http` or `https` URL, without a trailing slash.
func baseURLOption(_ reader: GeneratorOptions, default defaultURL: String) throws(GeneratorError) -> String {
    guard var url = try reader.string("base_url") else { return defaultURL }
    guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
        throw GeneratorError("options.base_url must be an http:// or https:// URL")
    }
    while url.hasSuffix("/") { url.removeLast() }
    return url
}

/// The bytes of a base64 `data:` URI, or `nil` if it is not one.
func decodeDataURI(_ uri: String) -> [UInt8]? {
    guard uri.hasPrefix("data:"), let comma = uri.firstIndex(of: ","),
        uri[..<comma].hasSuffix(";base64"),
        let data = Data(base64Encoded: String(uri[uri.index(after: comma)...]))
    else { return nil }
    return Array(data)
}
