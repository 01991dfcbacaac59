import Formats
import Store

/// What changed between two recorded runs, node by node.
public struct RunComparison: Sendable {
    /// One node whose link differs between the runs.
    public struct Change: Sendable, Hashable {
        /// The node.
        public let node: String
        /// `changed` (both runs have it, with different keys), `added` (only the second), `removed` (only the
        /// first).
        public let change: String
        /// The request fields that differ: `generator`, `params`, `prompt`, `take`, `inputs` (and `format`);
        /// `unknown` when a request text is not recorded (a link skipped before its key was known).
        public let fields: [String]
        /// The node's link in the first run.
        public let before: RunLinkRecord?
        /// The node's link in the second run.
        public let after: RunLinkRecord?
    }

    /// The earlier run.
    public let first: RunRecord
    /// The later run.
    public let second: RunRecord
    /// The nodes that differ, in plan order.
    public let changes: [Change]
    /// How many nodes have the same key in both runs.
    public let unchanged: Int

    /// The request fields compared, in the order they are reported.
    public static let fields = ["format", "generator", "params", "prompt", "take", "inputs"]

    /// Compares two runs' links by node, and for each differing key, the stored request JSON field by field.
    public static func compare(_ first: RunRecord, _ second: RunRecord, in store: Store) throws -> RunComparison {
        let before = try store.links(ofRun: first.id)
        let after = try store.links(ofRun: second.id)
        let beforeByNode = Dictionary(before.map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        let afterByNode = Dictionary(after.map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        var order: [(Int, String)] = []
        for link in after { order.append((link.position, link.node)) }
        for link in before where afterByNode[link.node] == nil { order.append((link.position, link.node)) }
        order.sort { $0 < $1 }
        var changes: [Change] = []
        var unchanged = 0
        for (_, node) in order {
            let a = beforeByNode[node]
            let b = afterByNode[node]
            guard let a, let b else {
                changes.append(
                    Change(node: node, change: a == nil ? "added" : "removed", fields: [], before: a, after: b))
                continue
            }
            if a.key == b.key, a.key != nil {
                unchanged += 1
                continue
            }
            if a.key == nil && b.key == nil {
                if a.outcome == b.outcome {
                    unchanged += 1
                } else {
                    changes.append(Change(node: node, change: "changed", fields: ["unknown"], before: a, after: b))
                }
                continue
            }
            changes.append(
                Change(
                    node: node, change: "changed", fields: try differingFields(a.key, b.key, store), before: a, after: b
                ))
        }
        return RunComparison(first: first, second: second, changes: changes, unchanged: unchanged)
    }

    private static func differingFields(_ a: Digest?, _ b: Digest?, _ store: Store) throws -> [String] {
        func request(_ key: Digest?) throws -> [String: JSONValue]? {
            guard let key, let text = try store.requestText(for: key),
                case .object(let object)? = try? JSONParser.parse(Array(text.utf8))
            else { return nil }
            return object
        }
        guard let old = try request(a), let new = try request(b) else { return ["unknown"] }
        let differing = fields.filter { old[$0] != new[$0] }
        return differing.isEmpty ? ["unknown"] : differing
    }
}
