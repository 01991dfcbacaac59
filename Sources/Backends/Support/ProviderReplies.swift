import Chain
import Formats
import Foundation
import Store

/// How the Replicate backend reads a prediction object, without I/O (the `FuzzReplicate` target drives it).
package enum ReplicateReply {
    /// What a prediction's status asks the poller to do.
    package enum Progress: Equatable, Sendable {
        /// The output is ready: read it with ``outputURL(of:id:)``.
        case finished
        /// Poll again.
        case waiting
    }

    /// The prediction's id: letters, digits, `-` and `_` only (it goes into URLs).
    static func predictionID(of prediction: ProviderJSON) throws(GeneratorError) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        guard let id = prediction["id"]?.string, !id.isEmpty, id.allSatisfy(allowed.contains) else {
            throw GeneratorError("malformed reply from replicate to the prediction create request: no valid prediction id")
        }
        return id
    }

    /// Whether the prediction is done, still running, or failed (thrown, with its message).
    static func progress(of prediction: ProviderJSON, id: String) throws(GeneratorError) -> Progress {
        let status = prediction["status"]?.string ?? ""
        switch status {
        case "succeeded":
            return .finished
        case "processing" where prediction["output"]?.nonEmpty != nil:
            // File-output models may answer once the files exist, before `succeeded`.
            return .finished
        case "failed", "canceled":
            let reason = prediction["error"]?.string ?? "no error message"
            throw GeneratorError("replicate prediction \(id) \(status): \(reason)")
        case "starting", "processing":
            return .waiting
        default:
            throw GeneratorError("replicate prediction \(id) has an unknown status \"\(status)\"")
        }
    }

    /// The first output URL (a string, or the first string of an array).
    static func outputURL(of prediction: ProviderJSON, id: String) throws(GeneratorError) -> String {
        let output = prediction["output"]
        guard let url = output?.string ?? output?.array?.first?.string, !url.isEmpty else {
            throw GeneratorError("replicate prediction \(id) succeeded without an output URL")
        }
        return url
    }

    /// Reads one reply body as the poller does: JSON, id, progress, and when finished the output URL, decoding
    /// an inline `data:` output. Returns the output bytes when inline, `[]` for a remote URL or an unfinished
    /// prediction.
    package static func read(_ body: [UInt8]) throws(GeneratorError) -> [UInt8] {
        guard let prediction = ProviderJSON(parsing: body) else { throw GeneratorError("not JSON") }
        let id = try predictionID(of: prediction)
        guard try progress(of: prediction, id: id) == .finished else { return [] }
        let url = try outputURL(of: prediction, id: id)
        _ = prediction["version"]?.string
        _ = prediction["metrics"]?.nonEmpty
        guard url.hasPrefix("data:") else { return [] }
        guard let bytes = decodeDataURI(url) else {
            throw GeneratorError("replicate prediction \(id) output is a malformed data: URI")
        }
        return bytes
    }
}

/// How the OpenAI backend reads an images reply, without I/O (the `FuzzOpenAI` target drives it).
package enum OpenAIReply {
    /// Where the image is.
    package enum Image: Equatable, Sendable {
        /// Inline, base64-decoded.
        case bytes([UInt8])
        /// To download.
        case url(String)
    }

    /// The first image of `data[]`: its `b64_json` bytes or its `url`.
    static func image(in response: ProviderJSON, action: String) throws(GeneratorError) -> Image {
        guard let first = response["data"]?.array?.first else {
            throw GeneratorError("malformed reply from openai to \(action): no data[0]")
        }
        if let encoded = first["b64_json"]?.string {
            guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw GeneratorError("malformed reply from openai to \(action): data[0].b64_json is not base64")
            }
            return .bytes(Array(data))
        } else if let link = first["url"]?.string {
            return .url(link)
        }
        throw GeneratorError("malformed reply from openai to \(action): data[0] has neither b64_json nor url")
    }

    /// Reads one reply body as the generator does: JSON, the first image, the usage.
    package static func read(_ body: [UInt8]) throws(GeneratorError) -> Image {
        guard let response = ProviderJSON(parsing: body) else { throw GeneratorError("not JSON") }
        _ = response["usage"]?.nonEmpty
        return try image(in: response, action: "the image request")
    }
}
