import Chain
import Formats
import Foundation
import Store

/// The `openai` backend: the OpenAI Images API (API-CONTRACTS §3), e.g. model `gpt-image-1`.
///
/// A job with input images is sent to `POST {base}/images/edits` as `multipart/form-data`: text
/// fields `model`, `prompt` and every param (strings as they are, numbers and booleans written
/// out, arrays and objects as JSON), then one `image[]` file part per input, in order. A job
/// without inputs is sent to `POST {base}/images/generations` as JSON `{model, prompt, params…}`.
/// The image is `data[0].b64_json`, or the download of `data[0].url`; `usage` is recorded.
///
/// Options: `base_url` (default `https://api.openai.com/v1`, the `/v1` included), `timeout_s` per
/// HTTP call (default 300) and the retry options of ``RetryPolicy``. The key comes from
/// `OPENAI_API_KEY` and is never printed.
///
/// Errors: 408/409/429/5xx are transient (honouring `retry-after-ms` and `Retry-After`;
/// `x-should-retry` overrides), other statuses permanent. A request that timed out or broke after
/// it was sent is permanent: the image may have been generated and billed.
public struct OpenAIGenerator: Generator {
    /// The environment variable holding the API key.
    public static let tokenVariable = "OPENAI_API_KEY"
    /// The API endpoint used unless `options.base_url` says otherwise.
    public static let defaultBaseURL = "https://api.openai.com/v1"

    /// The options this backend understands.
    static let knownOptions: Set<String> = ["base_url", "timeout_s", "retries", "retry_base_ms", "retry_max_ms"]
    private static let provider = "openai"

    private let token: APIToken?
    private let http = ProviderHTTP()

    /// Creates the backend.
    ///
    /// - Parameter token: The API key (from `OPENAI_API_KEY`); with `nil` or an empty key every
    ///   call fails with an error naming the variable.
    public init(token: String?) {
        self.token = APIToken(token)
    }

    /// The settings read from a job's options.
    struct Settings: Sendable {
        var baseURL: String
        var timeout: Duration
        var retry: RetryPolicy

        init(options: [String: JSONValue]) throws(GeneratorError) {
            let reader = GeneratorOptions(options)
            try reader.checkKnown(OpenAIGenerator.knownOptions, backend: "openai")
            baseURL = try baseURLOption(reader, default: OpenAIGenerator.defaultBaseURL)
            timeout = try reader.seconds("timeout_s", default: 300)
            retry = try RetryPolicy(options: options)
        }
    }

    /// Makes one image with the Images API.
    ///
    /// - Parameter job: The job; its request's `model` is the OpenAI model name.
    /// - Returns: The image and the reported `usage`.
    /// - Throws: ``GeneratorError`` or `CancellationError`.
    public func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        guard let token else {
            throw GeneratorError("the openai backend needs an API key: set \(Self.tokenVariable) in the environment")
        }
        do {
            return try await run(job, token: token)
        } catch let error as GeneratorError {
            throw token.redacting(error)
        }
    }

    private func run(_ job: GenerationJob, token: APIToken) async throws -> GeneratorOutput {
        let settings = try Settings(options: job.options)
        let request = job.request
        for reserved in ["model", "prompt", "image", "image[]"] where request.params[reserved] != nil {
            throw GeneratorError(
                "params.\(reserved) is not allowed with the openai backend: framechain sends it itself")
        }
        let url: String
        let body: [UInt8]
        let contentType: String
        if job.inputs.isEmpty {
            var fields = request.params
            fields["model"] = .string(request.model)
            fields["prompt"] = .string(request.prompt)
            url = settings.baseURL + "/images/generations"
            body = CanonicalJSON.bytes(.object(fields))
            contentType = "application/json"
        } else {
            var form = MultipartForm()
            form.append(field: "model", value: request.model)
            form.append(field: "prompt", value: request.prompt)
            for name in request.params.keys.sorted() {
                form.append(field: name, value: Self.formValue(request.params[name]!))
            }
            for (index, input) in job.inputs.enumerated() {
                form.append(
                    file: "image[]", filename: "input-\(index + 1).\(input.mediaType.fileExtension)",
                    contentType: input.mediaType.mimeType, contents: input.bytes)
            }
            url = settings.baseURL + "/images/edits"
            body = form.body
            contentType = form.contentType
        }
        let action = job.inputs.isEmpty ? "the image generation request" : "the image edit request"
        let reply: HTTPReply
        do {
            reply = try await http.send(
                .POST, url,
                headers: [token.authorization, ("Content-Type", contentType), ("Accept", "application/json")],
                body: body, timeout: settings.timeout)
        } catch let failure as HTTPFailure {
            throw ProviderFailure.exchange(
                failure, provider: Self.provider, action: action, timeout: settings.timeout, mayHaveStarted: true)
        }
        guard reply.isSuccess else { throw ProviderFailure.status(reply, from: Self.provider) }
        guard let response = ProviderJSON(parsing: reply.body) else {
            throw GeneratorError(
                "malformed reply from openai to \(action) (HTTP \(reply.status)): not JSON; the image may have "
                    + "been billed, so it was not retried")
        }
        let bytes: [UInt8]
        switch try OpenAIReply.image(in: response, action: action) {
        case .bytes(let decoded): bytes = decoded
        case .url(let link): bytes = try await download(link, settings: settings, token: token)
        }
        guard let mediaType = MediaType.sniff(bytes) else {
            throw GeneratorError(
                "openai output is not an image: \(bytes.count) bytes that are not PNG, JPEG or WebP")
        }
        return GeneratorOutput(bytes: bytes, mediaType: mediaType, usage: response["usage"]?.nonEmpty)
    }

    /// Downloads an output URL; only the API's own origin gets the key.
    private func download(_ url: String, settings: Settings, token: APIToken) async throws -> [UInt8] {
        let headers = url.hasPrefix(settings.baseURL + "/") ? [token.authorization] : []
        return try await http.getRetrying(
            url, headers: headers, timeout: settings.timeout, policy: settings.retry, provider: Self.provider,
            action: "downloading the output"
        ).body
    }

    /// A param as a multipart text field: strings as they are, other values as JSON.
    private static func formValue(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return CanonicalJSON.string(value)
    }
}
