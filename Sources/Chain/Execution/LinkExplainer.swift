import Formats
import Store

/// Explains why a link needs generating, against the latest recorded attempt at the same node (SPEC §5 reasons).
///
/// The reasons are `new`, `generator changed`, `params changed`, `prompt changed`, `take changed`,
/// `reference changed (<upstream cause>)`, `previous attempt failed` and `output missing`.
struct LinkExplainer {
    let store: Store
    let previous: [String: PreviousLink]

    /// The reason `node` must be generated with `request` (whose key has no stored output).
    ///
    /// - Parameters:
    ///   - upstreamCauses: What changed upstream, per input in request order, used when only the inputs differ
    ///     (`start/2 regenerated`, `initial reference changed`); with several inputs (a clip's two frames), only
    ///     the causes of the inputs whose digest changed are named.
    func reason(for node: NodeID, request: GenerationRequest, key: Digest, upstreamCauses: [String]) -> String {
        guard let before = previous[node.description] else { return "new" }
        if before.key == key {
            return before.outcome == .failed ? "previous attempt failed" : "output missing"
        }
        guard let text = try? store.requestText(for: before.key),
            case .object(let old)? = try? JSONParser.parse(Array(text.utf8))
        else { return "new" }
        guard case .object(let new) = request.json else { return "new" }
        if old["format"] != new["format"] || old["generator"] != new["generator"] { return "generator changed" }
        if old["params"] != new["params"] { return "params changed" }
        if old["prompt"] != new["prompt"] { return "prompt changed" }
        if old["take"] != new["take"] { return "take changed" }
        if old["inputs"] != new["inputs"] {
            var causes = upstreamCauses
            if case .array(let before)? = old["inputs"], case .array(let after)? = new["inputs"],
                before.count == after.count, after.count == causes.count, causes.count > 1
            {
                causes = zip(causes, zip(before, after)).filter { $0.1.0 != $0.1.1 }.map(\.0)
            }
            return "reference changed (\(causes.joined(separator: ", ")))"
        }
        return "new"
    }
}
