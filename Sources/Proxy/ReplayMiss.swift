import Chain
import Formats
import Store

/// A request that replay mode cannot answer: its key, and the nearest recorded request with the fields that differ.
struct ReplayMiss: Error, Sendable {
    /// The key asked for (take 1's, for a call of several images).
    let key: Digest
    /// The nearest recorded request of the same backend, if any.
    let nearest: Digest?
    /// The fields that differ from it (`prompt`, `params.size`, `inputs[0]`, `generator.model`, `take`).
    let differences: [String]
    /// The sentence for the error body.
    let detail: String

    /// How many recorded requests a miss is compared with.
    static let searchLimit = 5000

    /// Explains why `request` is a miss, comparing it with the store's recent requests of the same backend.
    static func explain(_ request: ProxyRequest, in store: Store) -> ReplayMiss {
        let asked = request.requests[0]
        let askedFields = fields(of: asked.json)
        var best: (key: Digest, differences: [String], recorded: [String: JSONValue])?
        for (key, text) in (try? store.recentRequests(backend: request.backend, limit: searchLimit)) ?? [] {
            guard let value = try? JSONParser.parse(Array(text.utf8)) else { continue }
            let recorded = fields(of: value)
            let names = Set(recorded.keys).union(askedFields.keys).sorted()
            let differing = names.filter { recorded[$0] != askedFields[$0] }
            if best == nil || differing.count < best!.differences.count {
                best = (key, differing, recorded)
            }
        }
        var detail =
            "replay miss: the request's key \(asked.key) (\(request.backend) \(request.model)) is not recorded in the store"
        if let best {
            let shown = best.differences.prefix(3).map { name in
                "\(name) (recorded \(describe(best.recorded[name])), asked \(describe(askedFields[name])))"
            }
            detail += "; the nearest recorded request is \(best.key), which differs in " + shown.joined(separator: ", ")
            if best.differences.count > 3 { detail += " and \(best.differences.count - 3) more fields" }
        } else {
            detail += "; nothing of \(request.backend) is recorded"
        }
        detail += ". Run `framechain serve --mode record` to record it."
        return ReplayMiss(key: asked.key, nearest: best?.key, differences: best?.differences ?? [], detail: detail)
    }

    /// The comparable fields of a request: `prompt`, `take`, `generator.model`, `params.<name>` and `inputs[i]`.
    static func fields(of request: JSONValue) -> [String: JSONValue] {
        guard case .object(let members) = request else { return [:] }
        var out: [String: JSONValue] = [:]
        if let prompt = members["prompt"] { out["prompt"] = prompt }
        if let take = members["take"] { out["take"] = take }
        if case .object(let generator)? = members["generator"] { out["generator.model"] = generator["model"] }
        if case .object(let params)? = members["params"] {
            for (name, value) in params { out["params.\(name)"] = value }
        }
        if case .array(let inputs)? = members["inputs"] {
            for (index, value) in inputs.enumerated() { out["inputs[\(index)]"] = value }
        }
        return out
    }

    private static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "absent" }
        let text = CanonicalJSON.string(value)
        return text.count > 80 ? String(text.prefix(77)) + "…" : text
    }
}

extension UpstreamReply {
    /// An RFC 7807 problem answer, as Replicate writes its errors.
    static func problem(_ status: Int, _ title: String, _ detail: String, headers: [(String, String)] = [])
        -> UpstreamReply
    {
        let body = JSONValue.object([
            "title": .string(title), "detail": .string(detail), "status": .number(Double(status)),
        ])
        return UpstreamReply(
            status: status, headers: [("Content-Type", "application/problem+json")] + headers,
            body: Array(CanonicalJSON.string(body).utf8))
    }
}
