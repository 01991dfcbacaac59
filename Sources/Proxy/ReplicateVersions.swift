import Formats
import Hummingbird
import Store

/// `GET /v1/models/{owner}/{name}/versions/{id}`: the replicate client asks for the model version after a create by
/// version reference (`replicate.run("owner/name:<id>")`), to see whether the output is an iterator (API-CONTRACTS
/// §2). A version never changes, so the document is fetched upstream once, kept in the store
/// (`provider_documents`) and answered from there afterwards, in replay mode too.
extension ProxyRoutes {
    func getModelVersion(_ request: Request, owner: String, name: String, version: String) async -> Response {
        let path = request.uri.path
        if configuration.mode == .passthrough {
            return await forward(request, to: upstream.replicateBase, path: path, provider: "replicate")
        }
        let address = "replicate GET /v1/models/\(owner)/\(name)/versions/\(version)"
        do {
            if let kept = try store.providerDocument(at: address) {
                return Reply.bytes(kept, status: 200, headers: [("Content-Type", "application/json")])
            }
        } catch {
            return failure(error, openAI: false)
        }
        guard configuration.mode == .record else {
            return Reply.problem(
                404, "Not recorded",
                "model version \(owner)/\(name):\(version) was never fetched through this proxy in record mode, so "
                    + "replay cannot answer it")
        }
        do throws(UpstreamReply) {
            let reply = try await upstream.send(
                .GET, upstream.replicateBase + path,
                headers: authorization(request, provider: "replicate") + [("User-Agent", "framechain-serve")])
            guard (200..<300).contains(reply.status) else { return Reply.upstream(reply) }
            // Only a JSON object is kept: anything else is passed on as it came, and asked for again next time.
            if case .object(let members)? = try? JSONParser.parse(reply.body), members["id"] != nil {
                do { try store.record(providerDocument: reply.body, at: address) } catch {
                    return failure(error, openAI: false)
                }
            }
            return Reply.upstream(reply)
        } catch {
            return Reply.upstream(error)
        }
    }
}
