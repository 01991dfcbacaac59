import Chain
import Formats
import Store

/// An input image of a proxied request: its bytes, digest and media type.
public struct ProxyImage: Sendable, Hashable {
    /// The image's bytes as the client sent them.
    public let bytes: [UInt8]
    /// SHA-256 of ``bytes``.
    public let digest: Digest
    /// The sniffed media type.
    public let mediaType: MediaType

    /// Wraps image bytes, or returns `nil` when they are not a PNG, JPEG or WebP image.
    public init?(bytes: [UInt8]) {
        guard let mediaType = MediaType.sniff(bytes.prefix(16)) else { return nil }
        self.bytes = bytes
        self.digest = SHA256.hash(data: bytes)
        self.mediaType = mediaType
    }
}

/// A proxied generation call reduced to what can change its outputs: one framechain request per image asked for
/// (`n` images are takes 1…n), built with the same recipe as a plan's links (docs/KEYS.md, docs/PROXY.md).
public struct ProxyRequest: Sendable {
    /// `replicate` or `openai`.
    public let backend: String
    /// The model (`owner/name`, a version reference, or an OpenAI model name).
    public let model: String
    /// The request of take 1…n, in order.
    public let requests: [GenerationRequest]
    /// The input images, in request order (their digests are `requests[i].inputs`).
    public let images: [ProxyImage]

    /// Builds the requests.
    public init(
        backend: String, model: String, params: [String: JSONValue], prompt: String, images: [ProxyImage],
        count: Int = 1
    ) {
        self.backend = backend
        self.model = model
        self.images = images
        self.requests = (1...max(1, count)).map { take in
            GenerationRequest(
                backend: backend, model: model, params: params, prompt: prompt, inputs: images.map(\.digest),
                take: take)
        }
    }

    /// The keys, one per take.
    public var keys: [Digest] { requests.map(\.key) }

    /// One key for the whole call (the in-flight table's key): the key itself for one image.
    public var callKey: Digest {
        keys.count == 1 ? keys[0] : SHA256.hash(data: Array(keys.map(\.description).joined(separator: ",").utf8))
    }
}

/// A client error in a request body: HTTP 400 (or `status`) with a message naming what and where.
public struct ProxyRequestError: Error, Sendable, Equatable {
    /// The HTTP status to answer.
    public let status: Int
    /// What is wrong, naming the field.
    public let message: String

    /// Creates an error.
    public init(_ message: String, status: Int = 400) {
        self.message = message
        self.status = status
    }
}
