import Formats
import Store

/// An image generator: the one interface the executor knows, whatever the backend.
///
/// A generator receives everything that can change its output in ``GenerationJob/request`` (and
/// the input images, whose digests are in the request), plus operational options that never can.
/// It returns the image bytes and what the provider reported. Generators must be safe to call
/// concurrently for different jobs.
public protocol Generator: Sendable {
    /// Makes one image.
    ///
    /// - Parameter job: The request, its input images and the operational options.
    /// - Returns: The image and what the provider reported about it.
    /// - Throws: ``GeneratorError``; transient errors may be retried by the executor. Cancellation of the
    ///   calling task must stop the work (and cancel any remote prediction) promptly.
    func generate(_ job: GenerationJob) async throws -> GeneratorOutput
}

/// One input image handed to a generator: the exact bytes whose digest is in the request.
public struct GeneratorInput: Sendable, Hashable {
    /// The digest of ``bytes``, as listed in the request's `inputs`.
    public let digest: Digest
    /// The image format, recognised from the bytes.
    public let mediaType: MediaType
    /// The image bytes, verified against ``digest`` before the call.
    public let bytes: [UInt8]

    /// Creates an input.
    public init(digest: Digest, mediaType: MediaType, bytes: [UInt8]) {
        self.digest = digest
        self.mediaType = mediaType
        self.bytes = bytes
    }
}

/// What a generator is asked to make.
public struct GenerationJob: Sendable {
    /// The request (its canonical text is what the key hashes).
    public let request: GenerationRequest
    /// The input images, in the order of `request.inputs`.
    public let inputs: [GeneratorInput]
    /// Operational options from the plan's `generator.options`; never part of the key.
    public let options: [String: JSONValue]
    /// The node being generated, for progress and error messages only (never sent to a model).
    public let node: String

    /// Creates a job.
    public init(request: GenerationRequest, inputs: [GeneratorInput], options: [String: JSONValue], node: String) {
        self.request = request
        self.inputs = inputs
        self.options = options
        self.node = node
    }
}

/// The image a generator made and what its provider reported.
///
/// Small outputs (images) come as ``bytes``; large ones (clips) as a ``file`` the generator wrote and hands over:
/// the executor streams it into the store and removes it, so a clip's size never shows in memory.
public struct GeneratorOutput: Sendable {
    /// The image bytes exactly as received (empty when the output is a ``file``).
    public var bytes: [UInt8]
    /// A file holding the output exactly as received, which the caller takes over (and removes), or `nil`.
    public var file: String?
    /// The image format, recognised from the bytes.
    public var mediaType: MediaType
    /// The provider's resolved model version (`version` on Replicate), when reported.
    public var modelVersion: String?
    /// The provider's id for this generation (a Replicate prediction id), when there is one.
    public var providerID: String?
    /// The provider's cost or usage report (`metrics` on Replicate, `usage` on OpenAI), as JSON.
    public var usage: JSONValue?

    /// Creates an output held in a file, which the caller takes over.
    public init(
        file: String, mediaType: MediaType, modelVersion: String? = nil, providerID: String? = nil,
        usage: JSONValue? = nil
    ) {
        self.init(bytes: [], mediaType: mediaType, modelVersion: modelVersion, providerID: providerID, usage: usage)
        self.file = file
    }

    /// Creates an output.
    public init(
        bytes: [UInt8], mediaType: MediaType, modelVersion: String? = nil, providerID: String? = nil,
        usage: JSONValue? = nil
    ) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.modelVersion = modelVersion
        self.providerID = providerID
        self.usage = usage
    }
}

/// A generation that did not produce an image.
public struct GeneratorError: Error, Sendable, CustomStringConvertible {
    /// Whether trying again may succeed (rate limits, server errors, simulated flakiness).
    public var isTransient: Bool
    /// How long the provider asked us to wait before retrying (`Retry-After`), in seconds.
    public var retryAfter: Double?
    /// A one-line description for people; never contains a secret.
    public var message: String

    /// Creates an error.
    public init(_ message: String, isTransient: Bool = false, retryAfter: Double? = nil) {
        self.message = message
        self.isTransient = isTransient
        self.retryAfter = retryAfter
    }

    public var description: String { message }
}
