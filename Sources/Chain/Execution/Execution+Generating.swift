import Formats
import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Execution {
    /// Calls the generator and commits the result; runs as a child task.
    static func generate(
        _ pending: PendingGeneration, inputs: [GeneratorInput], position: Int, options: [String: JSONValue],
        generator: any Generator, pricing: Pricing?, store: Store, runID: String, redactor: SecretRedactor,
        remote: RemoteSession?
    ) async -> Completion {
        let request = pending.request
        let key = request.key
        let clock = ContinuousClock()
        let started = clock.now
        func failure(_ message: String) -> Completion {
            .failed(
                pending.node,
                RunLink(
                    node: pending.node, key: key, output: nil, outcome: .failed, reason: pending.reason,
                    error: redactor.redact(message), prompt: request.prompt, mediaType: nil),
                request: request.canonicalText)
        }
        // The key's lease: another process generating the same key is waited for, and its output reused.
        let heartbeat: KeyLease.Heartbeat
        do {
            switch try await KeyLease.acquire(key: key, runID: runID, store: store) {
            case .reuse(let cached): return .reused(pending.node, request, cached)
            case .generate(let held): heartbeat = held
            }
        } catch let error as StoreError {
            return .storeFailed(pending.node, error)
        } catch {
            return .cancelled(pending.node)
        }
        defer { heartbeat.stop() }
        do {
            let job = GenerationJob(request: request, inputs: inputs, options: options, node: pending.node.description)
            let output = try await generator.generate(job)
            // A file output (a clip) is the executor's from here on: streamed into the store, then removed.
            defer { if let file = output.file { unlink(file) } }
            let isClip = pending.node.role == .clip
            let head =
                output.file.map { (try? LocalFile.readPrefix($0, count: 12)) ?? [] } ?? Array(output.bytes.prefix(12))
            guard let mediaType = MediaType.recognize(head), mediaType.isImage != isClip else {
                try? store.releaseLease(key: key, runID: runID)
                let what = output.file.map { "a file (\($0))" } ?? "\(output.bytes.count) bytes"
                return failure(
                    "the generator returned \(what) that \(output.file == nil ? "are" : "is") not "
                        + (isClip ? "an MP4 video" : "a PNG, JPEG or WebP image"))
            }
            let elapsed = clock.now - started
            let milliseconds = Int(
                elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            let cost = pricing?.cost(
                model: request.model, usage: output.usage, measuredSeconds: Double(milliseconds) / 1000)
            let createdAt = Timestamp.now()
            func describe(_ digest: Digest) -> (generation: GenerationRecord, link: RunLinkRecord) {
                (
                    GenerationRecord(
                        key: key, request: request.canonicalText, output: digest, backend: request.backend,
                        model: request.model, modelVersion: output.modelVersion, providerID: output.providerID,
                        usage: output.usage.map(CanonicalJSON.string), createdAt: createdAt,
                        durationMilliseconds: milliseconds, inputs: request.inputs, cost: cost?.amount,
                        costBasis: cost?.basis),
                    RunLinkRecord(
                        node: pending.node.description, position: position, key: key, output: digest,
                        outcome: .generated, reason: pending.reason, error: nil)
                )
            }
            // The key's output: this image, or the one already recorded for the same request (see `commit`).
            let digest: Digest
            let committed: Digest
            do {
                if let file = output.file {
                    (digest, committed) = try store.commit(generatedFileAt: file, runID: runID, describe: describe)
                } else {
                    digest = SHA256.hash(data: output.bytes)
                    let (generation, record) = describe(digest)
                    committed = try store.commit(
                        generatedBytes: output.bytes, generation: generation, link: record, runID: runID)
                }
            } catch {
                try? store.releaseLease(key: key, runID: runID)
                return .storeFailed(pending.node, error)
            }
            // Shared after the local commit: the upload never holds back or fails the run. A clip (a file) is read
            // back from the store for it.
            if let remote, committed == digest, let (generation, _) = Optional(describe(digest)),
                let bytes = output.file == nil ? output.bytes : try? store.contents(of: digest)
            {
                await remote.publish(generation, bytes: bytes, mediaType: mediaType)
            }
            let link = RunLink(
                node: pending.node, key: key, output: committed, outcome: .generated, reason: pending.reason,
                error: nil,
                prompt: request.prompt,
                mediaType: committed == digest ? mediaType : (try? store.blob(for: committed))?.mediaType ?? mediaType)
            return .generated(pending.node, link, cost: cost?.amount)
        } catch is CancellationError {
            try? store.releaseLease(key: key, runID: runID)
            return .cancelled(pending.node)
        } catch {
            try? store.releaseLease(key: key, runID: runID)
            if Task.isCancelled { return .cancelled(pending.node) }
            return failure("\(error)")
        }
    }
}
