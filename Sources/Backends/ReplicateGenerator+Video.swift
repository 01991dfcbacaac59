import Chain
import Formats
import Foundation
import Store

// The video mode of the `replicate` backend: a plan's `clips.generator` with an image-to-video model that takes a
// first and a last frame (`kwaivgi/kling-v2.1`: `start_image`, `end_image`). Everything else (the create call,
// polling, retries, cancellation, the token's rules) is the image mode's; the differences are the input mapping
// (`options.input_fields`, one named input per frame) and the output, which is streamed to a file as it downloads
// (never held in memory) and must be an MP4 video.

extension ReplicateGenerator {
    /// The input names of a clip's start and end frame unless `options.input_fields` says otherwise.
    static let defaultVideoInputFields = ["start_image", "end_image"]
}

extension ReplicateGenerator.Call {
    /// Downloads a prediction's video output into a file the caller takes over.
    ///
    /// - Throws: ``GeneratorError`` (permanent) when the download fails after its retries or the output is not an
    ///   MP4; the partial file is removed then.
    func downloadVideo(_ url: String, prediction: ProviderJSON, id: String, authorized: Bool) async throws
        -> GeneratorOutput
    {
        let path = FileManager.default.temporaryDirectory.resolvingSymlinksInPath()
            .appendingPathComponent(
                "framechain-download-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).mp4"
            ).path
        var handedOver = false
        defer { if !handedOver { try? FileManager.default.removeItem(atPath: path) } }
        if url.hasPrefix("data:") {
            guard let decoded = decodeDataURI(url),
                FileManager.default.createFile(atPath: path, contents: Data(decoded))
            else {
                throw GeneratorError("replicate prediction \(id) output is a malformed data: URI")
            }
        } else {
            _ = try await http.downloadRetrying(
                url, to: path, headers: authorized ? [token.authorization] : [], timeout: settings.maxWait,
                policy: settings.retry, provider: "replicate", action: "downloading the output of prediction \(id)")
        }
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readData(ofLength: 12)) ?? Data()
        guard MediaType.recognize(Array(head)) == .mp4 else {
            throw GeneratorError("replicate prediction \(id) output is not an MP4 video")
        }
        handedOver = true
        return GeneratorOutput(
            file: path, mediaType: .mp4, modelVersion: prediction["version"]?.string, providerID: id,
            usage: prediction["metrics"]?.nonEmpty)
    }
}
