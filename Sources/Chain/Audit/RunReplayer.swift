import Formats
import Store

/// Re-materializes a recorded run from the store alone: its stored plan, its initial image and its links'
/// outputs, each verified against its digest. Needs neither the plan file nor a generator.
public struct RunReplayer: Sendable {
    /// The store.
    public let store: Store

    /// Creates a replayer.
    public init(store: Store) {
        self.store = store
    }

    /// What a replay found and wrote.
    public struct Result: Sendable {
        /// The replayed run.
        public let run: RunRecord
        /// Its links, in plan order, as the run recorded them.
        public let links: [RunLink]
        /// Hit or generated links whose output blob is missing from the store: the replay is incomplete (exit 3).
        public let missing: [RunLink]
        /// Links that never had an output (failed or skipped).
        public let withoutOutput: [RunLink]
        /// Whether the run's initial reference image is missing or corrupt.
        public let initialReferenceMissing: Bool

        /// Whether everything the run recorded as hit or generated was written.
        public var complete: Bool { missing.isEmpty && !initialReferenceMissing }
    }

    /// Replays `run`, writing its images and `manifest.json` into `directory` when one is given (otherwise it
    /// only verifies).
    ///
    /// - Parameters:
    ///   - run: The recorded run.
    ///   - directory: The output directory, or `nil`.
    /// - Returns: The links, and which outputs are missing.
    /// - Throws: ``StoreError`` if the plan blob is missing or corrupt, or a file cannot be written;
    ///   ``PlanError`` if the stored plan no longer decodes.
    public func replay(_ run: RunRecord, to directory: String?) throws -> Result {
        // A `framechain serve` session (mode `proxy-…`) has no plan: its links are its calls in order (`ref/<n>`),
        // and each prompt is read from the link's recorded request.
        let proxied = run.mode.hasPrefix("proxy-")
        let planBytes = try store.contents(of: run.plan)
        let plan = proxied ? nil : try PlanLoader.decode(planBytes, file: "plan \(run.plan) of run \(run.id)")
        var links: [RunLink] = []
        var missing: [RunLink] = []
        var withoutOutput: [RunLink] = []
        var absent: Set<Digest> = []
        for record in try store.links(ofRun: run.id) {
            guard let node = NodeID(parsing: record.node), node.scene <= plan?.scenes.count ?? Int.max else {
                throw StoreError(
                    code: .integrity, message: "run \(run.id) has a link \(record.node) its plan does not have")
            }
            let prompt: String
            if let plan {
                prompt = PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: node.scene - 1, role: node.role)
            } else {
                prompt = try record.key.flatMap { try store.generation(for: $0) }.flatMap(Self.prompt(ofRequest:)) ?? ""
            }
            var mediaType: MediaType?
            if let output = record.output {
                if try store.isIntact(output) {
                    mediaType = try store.blob(for: output)?.mediaType
                } else {
                    absent.insert(output)
                }
            }
            let link = RunLink(
                node: node, key: record.key, output: record.output, outcome: record.outcome, reason: record.reason,
                error: record.error, prompt: prompt, mediaType: mediaType)
            links.append(link)
            if let output = record.output, absent.contains(output) {
                missing.append(link)
            } else if record.output == nil {
                withoutOutput.append(link)
            }
        }
        let initialMissing = try run.initialReference.map { try !store.isIntact($0) } ?? false
        if let directory {
            try OutputWriter(store: store).write(
                runID: run.id, planName: plan?.name ?? run.planName, status: run.effectiveStatus, links: links,
                to: directory,
                missing: absent)
        }
        return Result(
            run: run, links: links, missing: missing, withoutOutput: withoutOutput,
            initialReferenceMissing: initialMissing)
    }

    /// The `prompt` of a generation's recorded request.
    static func prompt(ofRequest generation: GenerationRecord) -> String? {
        guard case .object(let request)? = try? JSONParser.parse(Array(generation.request.utf8)),
            case .string(let prompt)? = request["prompt"]
        else { return nil }
        return prompt
    }
}
