import Formats
import Store

/// One image in an ancestry: the generation that made it, or the root image that nothing in the store made.
public struct AncestryStep: Sendable, Hashable {
    /// The node's name (`end/3`, `initial` for a run's initial image), or `nil` when no run names it.
    public let node: String?
    /// The image's digest.
    public let digest: Digest
    /// The generation's key, or `nil` for an imported image (no generation made it).
    public let key: Digest?
    /// The backend that made it.
    public let backend: String?
    /// The model named in the request.
    public let model: String?
    /// The provider's resolved model version, when it reported one.
    public let modelVersion: String?
    /// The full enhanced prompt.
    public let prompt: String?
    /// The take number.
    public let take: Int?
    /// The request's semantic parameters.
    public let params: JSONValue?
    /// When the generation was made (or the blob stored, for a root image).
    public let createdAt: String?
    /// The input digests, in request order (`[]` for a root).
    public let inputs: [Digest]
}

/// The ancestry of an image: the chain of generations back to its root, ordered from the target to the root.
public struct Ancestry: Sendable {
    /// The image asked about.
    public let target: Digest
    /// Target first, root last.
    public let steps: [AncestryStep]

    /// Follows an image back to its root through the generations that made each input.
    ///
    /// At each step the generation is the one `run` recorded for that node when `run` is given (by key), else the
    /// latest generation whose output is the digest. A generation with several inputs is followed through its
    /// first input (framechain's chains have one). The walk stops at an image no generation made (the initial
    /// image or an imported one) or at a generation without inputs.
    /// - Parameters:
    ///   - target: The image's digest.
    ///   - run: The run whose link names to use, or `nil` to name each image after the latest link that output it.
    ///   - store: The store.
    /// - Throws: ``StoreError`` `notFound` if nothing in the store knows `target`.
    public static func trace(_ target: Digest, run: RunRecord?, in store: Store) throws -> Ancestry {
        var keysByOutput: [Digest: (key: Digest, node: String)] = [:]
        if let run {
            for link in try store.links(ofRun: run.id) {
                if let key = link.key, let output = link.output { keysByOutput[output] = (key, link.node) }
            }
        }
        var steps: [AncestryStep] = []
        var visited: Set<Digest> = []
        var current = target
        while visited.insert(current).inserted {
            var generation: GenerationRecord?
            var node: String?
            if let known = keysByOutput[current] {
                generation = try store.generation(for: known.key)
                node = known.node
            }
            if generation == nil { generation = try store.generations(producing: current).last }
            if node == nil {
                if let run {
                    node = run.initialReference == current ? "initial" : nil
                } else {
                    node = try store.latestLink(withOutput: current)?.node
                }
                if node == nil, generation == nil, try store.isInitialReference(current) { node = "initial" }
            }
            guard let generation else {
                let blob = try store.blob(for: current)
                guard !steps.isEmpty || blob != nil else {
                    throw StoreError(code: .notFound, message: "the store knows nothing about \(current)")
                }
                steps.append(
                    AncestryStep(
                        node: node, digest: current, key: nil, backend: nil, model: nil, modelVersion: nil,
                        prompt: nil, take: nil, params: nil, createdAt: blob?.createdAt,
                        inputs: []))
                break
            }
            var prompt: String?
            var take: Int?
            var params: JSONValue?
            if case .object(let request)? = try? JSONParser.parse(Array(generation.request.utf8)) {
                if case .string(let text)? = request["prompt"] { prompt = text }
                if case .number(let number)? = request["take"] { take = Int(number) }
                params = request["params"]
            }
            steps.append(
                AncestryStep(
                    node: node, digest: current, key: generation.key, backend: generation.backend,
                    model: generation.model, modelVersion: generation.modelVersion, prompt: prompt, take: take,
                    params: params, createdAt: generation.createdAt, inputs: generation.inputs))
            guard let next = generation.inputs.first else { break }
            current = next
        }
        return Ancestry(target: target, steps: steps)
    }
}
