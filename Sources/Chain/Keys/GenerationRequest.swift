import Formats
import Store

/// A request (format `framechain.request/v1`): every input that can change a generation's output, and
/// nothing else. Its key is SHA-256 of its RFC 8785 canonical text (SPEC §3).
public struct GenerationRequest: Sendable, Hashable {
    /// The request format this version writes.
    public static let format = "framechain.request/v1"

    /// The backend name (`procedural`, `replicate`, …).
    public var backend: String
    /// The model name.
    public var model: String
    /// The semantic params from the plan.
    public var params: [String: JSONValue]
    /// The full enhanced prompt.
    public var prompt: String
    /// The digests of the reference images, in order (empty for none).
    public var inputs: [Digest]
    /// The take number (1 by default).
    public var take: Int

    /// Creates a request.
    public init(
        backend: String, model: String, params: [String: JSONValue], prompt: String, inputs: [Digest], take: Int
    ) {
        self.backend = backend
        self.model = model
        self.params = params
        self.prompt = prompt
        self.inputs = inputs
        self.take = take
    }

    /// The request as a JSON object, exactly as SPEC §3 lays it out.
    public var json: JSONValue {
        .object([
            "format": .string(Self.format),
            "generator": .object(["backend": .string(backend), "model": .string(model)]),
            "params": .object(params),
            "prompt": .string(prompt),
            "inputs": .array(inputs.map { .string($0.description) }),
            "take": .number(Double(take)),
        ])
    }

    /// The RFC 8785 canonical text of ``json``: the exact bytes that are hashed and stored.
    public var canonicalText: String { CanonicalJSON.string(json) }

    /// The key: `SHA-256(canonicalText)`.
    public var key: Digest { SHA256.hash(data: Array(canonicalText.utf8)) }
}
