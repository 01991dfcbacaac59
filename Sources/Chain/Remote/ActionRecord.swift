import Formats
import Store

/// The action record a remote cache keeps under a key (`ac/<key hex>`): a small JSON document
/// (`framechain.action/v1`) holding the canonical request, the output's digest, size and media type, the input
/// digests and what the provider reported. Never a secret, a path or a run id (docs/REMOTE.md).
public struct ActionRecord: Sendable, Hashable {
    /// The format string this version writes and reads.
    public static let format = "framechain.action/v1"

    /// The generation, with `origin` `remote` when decoded.
    public let generation: GenerationRecord
    /// The output's media type.
    public let mediaType: MediaType
    /// The output's size in bytes.
    public let size: Int

    /// Creates a record of a stored generation.
    public init(generation: GenerationRecord, mediaType: MediaType, size: Int) {
        self.generation = generation
        self.mediaType = mediaType
        self.size = size
    }

    /// The record's canonical JSON bytes (RFC 8785), what is uploaded.
    public var bytes: [UInt8] {
        var provider: [String: JSONValue] = [
            "backend": .string(generation.backend),
            "model": .string(generation.model),
            "created_at": .string(generation.createdAt),
            "duration_ms": .number(Double(generation.durationMilliseconds)),
        ]
        if let version = generation.modelVersion { provider["model_version"] = .string(version) }
        if let id = generation.providerID { provider["provider_id"] = .string(id) }
        if let usage = generation.usage, let value = try? JSONParser.parse(Array(usage.utf8)) {
            provider["usage"] = value
        }
        // The cost ledger travels with the generation, so a remote hit knows what it saved.
        if let cost = generation.cost, cost.isFinite, cost >= 0 { provider["cost"] = .number(cost) }
        if let basis = generation.costBasis { provider["cost_basis"] = .string(basis) }
        return CanonicalJSON.bytes(
            .object([
                "format": .string(Self.format),
                "key": .string(generation.key.description),
                "request": .string(generation.request),
                "output": .object([
                    "digest": .string(generation.output.description),
                    "media_type": .string(mediaType.mimeType),
                    "size": .number(Double(size)),
                ]),
                "inputs": .array(generation.inputs.map { .string($0.description) }),
                "provider": .object(provider),
            ]))
    }

    /// Parses and checks a record received for `expectedKey`.
    ///
    /// The record must parse, have this format, name `expectedKey`, carry a request whose SHA-256 is that key and
    /// whose `inputs` are the record's inputs, and name a well-formed output digest and an image media type.
    ///
    /// - Throws: ``RemoteCacheError`` `rejected`, naming the key and what is wrong.
    public static func decode(_ bytes: [UInt8], expectedKey: Digest) throws(RemoteCacheError) -> ActionRecord {
        func reject(_ why: String) -> RemoteCacheError {
            RemoteCacheError(.rejected, "the remote's action record for \(expectedKey) was rejected: \(why)")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw reject("it is not JSON (\(error))") }
        guard case .object(let object) = value else { throw reject("it is not a JSON object") }
        guard case .string(Self.format)? = object["format"] else { throw reject("format is not \(Self.format)") }
        guard case .string(let keyText)? = object["key"], let key = Digest(parsing: keyText) else {
            throw reject("key is missing or malformed")
        }
        guard key == expectedKey else { throw reject("it is the record of another key, \(key)") }
        guard case .string(let request)? = object["request"] else { throw reject("request is missing") }
        guard SHA256.hash(data: Array(request.utf8)) == key else {
            throw reject("its request does not hash to the key")
        }
        guard case .object(let output)? = object["output"], case .string(let outputText)? = output["digest"],
            let outputDigest = Digest(parsing: outputText)
        else { throw reject("output.digest is missing or malformed") }
        guard case .string(let mediaText)? = output["media_type"], let mediaType = MediaType(rawValue: mediaText) else {
            throw reject("output.media_type is not image/png, image/jpeg or image/webp")
        }
        guard case .number(let sizeValue)? = output["size"], sizeValue >= 0, sizeValue < 1e15,
            sizeValue == sizeValue.rounded()
        else { throw reject("output.size is not a whole number") }
        guard case .array(let inputValues)? = object["inputs"] else { throw reject("inputs is missing") }
        var inputs: [Digest] = []
        for value in inputValues {
            guard case .string(let text) = value, let digest = Digest(parsing: text) else {
                throw reject("inputs holds something other than a digest")
            }
            inputs.append(digest)
        }
        guard case .object(let requestObject)? = try? JSONParser.parse(Array(request.utf8)),
            case .array(let requestInputs)? = requestObject["inputs"],
            requestInputs == inputs.map({ .string($0.description) })
        else { throw reject("its inputs are not the request's inputs") }
        guard case .object(let provider)? = object["provider"], case .string(let backend)? = provider["backend"],
            case .string(let model)? = provider["model"]
        else { throw reject("provider.backend or provider.model is missing") }
        func string(_ name: String) -> String? {
            if case .string(let text)? = provider[name] { return text }
            return nil
        }
        var duration = 0
        if case .number(let number)? = provider["duration_ms"], number >= 0, number < 1e15 { duration = Int(number) }
        var cost: Double?
        if case .number(let number)? = provider["cost"], number.isFinite, number >= 0 { cost = number }
        return ActionRecord(
            generation: GenerationRecord(
                key: key, request: request, output: outputDigest, backend: backend, model: model,
                modelVersion: string("model_version"), providerID: string("provider_id"),
                usage: provider["usage"].map(CanonicalJSON.string), createdAt: string("created_at") ?? Timestamp.now(),
                durationMilliseconds: duration, inputs: inputs, origin: GenerationRecord.remoteOrigin, cost: cost,
                costBasis: cost == nil ? nil : string("cost_basis")),
            mediaType: mediaType, size: Int(sizeValue))
    }
}
