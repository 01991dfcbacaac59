import Chain
import Formats
import Foundation
import Store

/// The key recipe of a Replicate create call (docs/PROXY.md §2).
///
/// `input.prompt` (a string) is the prompt; the images of `input.image_input` (a list or one string) are the
/// inputs, in order, followed by every other image reference anywhere in `input` (in member-name order), which is
/// replaced in `params` by its `sha256:` digest; every other member of `input` is a param, verbatim. An image
/// reference is a `data:` URI or a file URL this proxy issued (`…/v1/files/<id>`); any other string (a public URL)
/// stays a string. `webhook*`, `stream`, `lifetime`, headers and the file ids never enter the key.
public enum ReplicateKeys {
    /// The input member holding the reference images.
    public static let imageField = "image_input"

    /// Resolves an image reference to its bytes: `nil` if `text` is not one.
    public typealias Resolver = @Sendable (String) throws(ProxyRequestError) -> ProxyImage?

    /// Builds the request of a create call.
    /// - Parameters:
    ///   - model: `owner/name` (from the path) or the body's `version` as given.
    ///   - input: The body's `input` object.
    ///   - resolve: Turns data URIs and proxy file URLs into images.
    public static func request(model: String, input: [String: JSONValue], resolve: Resolver) throws(ProxyRequestError)
        -> ProxyRequest
    {
        var params = input
        var images: [ProxyImage] = []
        var prompt = ""
        if case .string(let text)? = params["prompt"] {
            prompt = text
            params["prompt"] = nil
        }
        if let field = params[imageField] {
            let values: [JSONValue]
            switch field {
            case .array(let items): values = items
            case .string: values = [field]
            default: throw ProxyRequestError("input.\(imageField): expected a list of image URIs", status: 422)
            }
            for (index, value) in values.enumerated() {
                guard case .string(let text) = value, let image = try resolve(text) else {
                    throw ProxyRequestError(
                        "input.\(imageField)[\(index)]: expected a data: URI or a file uploaded to this proxy",
                        status: 422)
                }
                images.append(image)
            }
            params[imageField] = nil
        }
        for name in params.keys.sorted(by: { $0.utf16.lexicographicallyPrecedes($1.utf16) }) {
            params[name] = try replacingImages(params[name]!, path: "input.\(name)", images: &images, resolve: resolve)
        }
        return ProxyRequest(backend: "replicate", model: model, params: params, prompt: prompt, images: images)
    }

    private static func replacingImages(
        _ value: JSONValue, path: String, images: inout [ProxyImage], resolve: Resolver
    ) throws(ProxyRequestError) -> JSONValue {
        switch value {
        case .string(let text):
            guard let image = try resolve(text) else { return value }
            images.append(image)
            return .string(image.digest.description)
        case .array(let items):
            var out: [JSONValue] = []
            for (index, item) in items.enumerated() {
                out.append(try replacingImages(item, path: "\(path)[\(index)]", images: &images, resolve: resolve))
            }
            return .array(out)
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for name in members.keys.sorted(by: { $0.utf16.lexicographicallyPrecedes($1.utf16) }) {
                out[name] = try replacingImages(
                    members[name]!, path: "\(path).\(name)", images: &images, resolve: resolve)
            }
            return .object(out)
        default:
            return value
        }
    }

    /// Decodes a `data:<mime>;base64,<data>` URI into an image; `nil` if `text` is not a data URI.
    /// - Throws: ``ProxyRequestError`` (422) for a data URI that is not base64 or not an image.
    public static func decodeDataURI(_ text: String, field: String = "input") throws(ProxyRequestError) -> ProxyImage? {
        guard text.hasPrefix("data:") else { return nil }
        guard let comma = text.firstIndex(of: ","), text[..<comma].hasSuffix(";base64"),
            let data = Data(base64Encoded: String(text[text.index(after: comma)...]))
        else {
            throw ProxyRequestError("\(field): a data: URI must be base64 (data:<type>;base64,<data>)", status: 422)
        }
        guard let image = ProxyImage(bytes: [UInt8](data)) else {
            throw ProxyRequestError("\(field): the data: URI is not a PNG, JPEG or WebP image", status: 422)
        }
        return image
    }
}
