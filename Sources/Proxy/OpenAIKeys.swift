import Chain
import Formats
import Store

/// The key recipe of the OpenAI images endpoints (docs/PROXY.md §3).
///
/// `model` (default `dall-e-2`, as the API's) and `prompt` are the generator's model and the prompt; `n` (default 1)
/// becomes takes 1…n, one key per image; `response_format`, `user`, `stream` and `partial_images` change how the
/// answer is delivered, not the image, and are left out. Every other member is a param: JSON values verbatim for
/// generations, text fields as strings for edits. For edits, the files of `image` or `image[]` parts are the
/// inputs in part order, and a `mask` file becomes `params.mask = "sha256:…"`; boundaries and file names never count.
public enum OpenAIKeys {
    /// Members that shape the answer, not the images.
    static let delivery: Set<String> = ["response_format", "user", "stream", "partial_images"]
    /// The most images one call may ask for.
    static let maximumCount = 10

    /// The request of `POST /v1/images/generations`.
    public static func generation(_ body: [String: JSONValue]) throws(ProxyRequestError) -> ProxyRequest {
        var params = body
        guard case .string(let prompt)? = params.removeValue(forKey: "prompt") else {
            throw ProxyRequestError("prompt: expected a string")
        }
        var model = "dall-e-2"
        if let value = params.removeValue(forKey: "model") {
            guard case .string(let text) = value else { throw ProxyRequestError("model: expected a string") }
            model = text
        }
        if case .bool(true)? = params["stream"] {
            throw ProxyRequestError("stream: framechain serve does not stream images; send stream=false")
        }
        let count = try self.count(params.removeValue(forKey: "n"))
        for name in delivery { params[name] = nil }
        return ProxyRequest(backend: "openai", model: model, params: params, prompt: prompt, images: [], count: count)
    }

    /// The request of `POST /v1/images/edits` from its parsed form.
    static func edit(_ form: FormData) throws(ProxyRequestError) -> ProxyRequest {
        var params: [String: JSONValue] = [:]
        var prompt: String?
        var model = "dall-e-2"
        var count = 1
        var images: [ProxyImage] = []
        for part in form.parts {
            switch part.name {
            case "image", "image[]":
                guard let image = ProxyImage(bytes: part.body) else {
                    throw ProxyRequestError(
                        "\(part.name) (\(part.filename ?? "no file name")): not a PNG, JPEG or WebP image")
                }
                images.append(image)
            case "mask":
                guard let image = ProxyImage(bytes: part.body) else {
                    throw ProxyRequestError("mask: not a PNG, JPEG or WebP image")
                }
                params["mask"] = .string(image.digest.description)
            default:
                guard let text = String(validating: part.body, as: UTF8.self) else {
                    throw ProxyRequestError("\(part.name): expected UTF-8 text")
                }
                switch part.name {
                case "prompt": prompt = text
                case "model": model = text
                case "n": count = try self.count(.number(Double(text) ?? .nan))
                case "stream" where text == "true":
                    throw ProxyRequestError("stream: framechain serve does not stream images; send stream=false")
                case let name where delivery.contains(name): break
                default: params[part.name] = .string(text)
                }
            }
        }
        guard let prompt else { throw ProxyRequestError("prompt: missing") }
        guard !images.isEmpty else { throw ProxyRequestError("image: at least one image file is required") }
        return ProxyRequest(
            backend: "openai", model: model, params: params, prompt: prompt, images: images, count: count)
    }

    private static func count(_ value: JSONValue?) throws(ProxyRequestError) -> Int {
        guard let value else { return 1 }
        guard case .number(let number) = value, number.rounded() == number, number >= 1,
            number <= Double(maximumCount)
        else { throw ProxyRequestError("n: expected an integer from 1 to \(maximumCount)") }
        return Int(number)
    }
}
