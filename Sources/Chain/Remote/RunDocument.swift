import Formats
import Store

/// A recorded run as `push` puts it on a remote cache (`framechain.run/v1`): the run's row and its links, stored as
/// an action record under ``key(for:)`` so that `pull RUN` finds it by the run id alone. Its plan and initial image
/// travel as blobs; each link's generation travels as its own action record and blob.
struct RunDocument: Sendable {
    static let format = "framechain.run/v1"

    let run: RunRecord
    let links: [RunLinkRecord]

    /// The action-cache key of a run: SHA-256 of `framechain.run/v1:` and the run id (a run id is not content, so its
    /// key is a name, not a hash of the document).
    static func key(for runID: String) -> Digest {
        SHA256.hash(data: Array((format + ":" + runID).utf8))
    }

    var bytes: [UInt8] {
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return CanonicalJSON.bytes(
            .object([
                "format": .string(Self.format),
                "id": .string(run.id),
                "plan_name": .string(run.planName),
                "plan": .string(run.plan.description),
                "initial_reference": optional(run.initialReference?.description),
                "takes": .string(run.takes),
                "started_at": .string(run.startedAt),
                "finished_at": optional(run.finishedAt),
                "status": .string(run.effectiveStatus.rawValue),
                "links": .array(
                    links.map { link in
                        .object([
                            "node": .string(link.node), "position": .number(Double(link.position)),
                            "key": optional(link.key?.description), "output": optional(link.output?.description),
                            "outcome": .string(link.outcome.rawValue), "reason": optional(link.reason),
                            "error": optional(link.error),
                        ])
                    }),
            ]))
    }

    /// Parses the document received for `runID`.
    ///
    /// - Throws: ``RemoteCacheError`` `rejected` naming what is wrong.
    static func decode(_ bytes: [UInt8], runID: String) throws(RemoteCacheError) -> RunDocument {
        func reject(_ why: String) -> RemoteCacheError {
            RemoteCacheError(.rejected, "the remote's record of run \(runID) was rejected: \(why)")
        }
        guard case .object(let object)? = try? JSONParser.parse(bytes) else { throw reject("it is not a JSON object") }
        func string(_ object: [String: JSONValue], _ name: String) -> String? {
            if case .string(let text)? = object[name] { return text }
            return nil
        }
        func digest(_ object: [String: JSONValue], _ name: String) throws(RemoteCacheError) -> Digest? {
            if case .null? = object[name] { return nil }
            guard let text = string(object, name), let digest = Digest(parsing: text) else {
                throw reject("\(name) is not a digest")
            }
            return digest
        }
        guard string(object, "format") == format else { throw reject("format is not \(format)") }
        guard string(object, "id") == runID else { throw reject("it is the record of another run") }
        guard let planName = string(object, "plan_name"), let plan = try digest(object, "plan"),
            let startedAt = string(object, "started_at"),
            let status = string(object, "status").flatMap(RunStatus.init(rawValue:)),
            case .array(let linkValues)? = object["links"]
        else { throw reject("plan_name, plan, started_at, status or links is missing") }
        var links: [RunLinkRecord] = []
        for (index, value) in linkValues.enumerated() {
            guard case .object(let link) = value, let node = string(link, "node"), NodeID(parsing: node) != nil,
                case .number(let position)? = link["position"], position >= 0, position < 1e9,
                let outcome = string(link, "outcome").flatMap(LinkOutcome.init(rawValue:))
            else { throw reject("links[\(index)] is malformed") }
            let key = try digest(link, "key")
            let output = try digest(link, "output")
            if (outcome == .hit || outcome == .generated) && (key == nil || output == nil) {
                throw reject("links[\(index)] (\(node)) has no key or output")
            }
            links.append(
                RunLinkRecord(
                    node: node, position: Int(position), key: key, output: output, outcome: outcome,
                    reason: string(link, "reason"), error: string(link, "error")))
        }
        let run = RunRecord(
            id: runID, planName: planName, plan: plan, planPath: nil,
            initialReference: try digest(object, "initial_reference"), takes: string(object, "takes") ?? "{}",
            startedAt: startedAt, finishedAt: string(object, "finished_at"),
            status: status == .running ? .interrupted : status, mode: "pull", processID: nil)
        return RunDocument(run: run, links: links)
    }
}
