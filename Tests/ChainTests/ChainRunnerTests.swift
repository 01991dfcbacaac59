import Foundation
import FrameChainTestKit
import Synchronization
import Testing

@testable import Chain
@testable import Store

/// A deterministic test generator: bytes = PNG signature + SHA-256 of the parts of the request it looks at.
///
/// It counts its calls per node; `ignoresPrompt` makes it ignore the prompt of the given roles (for early cutoff),
/// and `failing` makes the given nodes fail.
final class RecordingGenerator: Generator {
    let calls = Mutex<[String]>([])
    let ignoresPromptOf: Set<Role>
    let failing: Set<String>
    let gate: (@Sendable (String) async throws -> Void)?

    init(
        ignoresPromptOf: Set<Role> = [], failing: Set<String> = [],
        gate: (@Sendable (String) async throws -> Void)? = nil
    ) {
        self.ignoresPromptOf = ignoresPromptOf
        self.failing = failing
        self.gate = gate
    }

    var calledNodes: [String] { calls.withLock { $0 } }

    func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        calls.withLock { $0.append(job.node) }
        try await gate?(job.node)
        if failing.contains(job.node) { throw GeneratorError("simulated failure of \(job.node)") }
        let role = NodeID(parsing: job.node)!.role
        var request = job.request
        if ignoresPromptOf.contains(role) { request.prompt = "" }
        for (input, digest) in zip(job.inputs, request.inputs) { #expect(SHA256.hash(data: input.bytes) == digest) }
        let body = SHA256.hash(data: Array(request.canonicalText.utf8)).bytes
        return GeneratorOutput(bytes: pngSignature + body, mediaType: .png, modelVersion: "test-1")
    }
}

/// A plan of `scenes` scenes with an initial reference, written into `directory`.
func writeChainPlan(
    in directory: String, scenes: Int = 3, style: String = "film noir", edit: (inout [[String: Any]]) -> Void = { _ in }
) throws -> String {
    var sceneObjects: [[String: Any]] = (1...scenes).map { i in
        ["reference": "reference \(i)", "start": "start \(i)", "end": "end \(i)", "continuity": "continues \(i - 1)"]
    }
    edit(&sceneObjects)
    let plan: [String: Any] = [
        "format": "framechain.plan/v1", "name": "test-plan",
        "generator": ["backend": "procedural", "model": "procedural-v1", "params": ["width": 64, "height": 64]],
        "initial_reference": "initial.png",
        "consistency": ["subject_description": "a red kite", "style": style],
        "scenes": sceneObjects,
    ]
    try writeFile(TestSupport.tinyPNG("initial image"), to: directory + "/initial.png")
    let path = directory + "/plan.json"
    try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct ChainRunnerTests {
    func run(
        _ planPath: String, store: Store, generator: RecordingGenerator, takes: [NodeID: Int] = [:]
    ) async throws -> (RunResult, StatusReport) {
        let loaded = try PlanLoader.load(contentsOf: planPath)
        let runner = ChainRunner(store: store, generator: generator)
        let predicted = try await runner.status(of: loaded, takes: takes)
        let result = try await runner.run(loaded, configuration: RunConfiguration(jobs: 3, takes: takes))
        // `status` predicts exactly what `run` does: cached → hit, regenerate → generated, pending → either.
        for (link, prediction) in zip(result.links, predicted.links) {
            #expect(link.node == prediction.node)
            switch prediction.state {
            case .cached: #expect(link.outcome == .hit, "\(link.node)")
            case .regenerate:
                #expect(link.outcome == .generated, "\(link.node)")
                #expect(link.key == prediction.key)
                #expect(link.reason == prediction.reason)
            case .pending: #expect(link.outcome == .generated || link.outcome == .hit, "\(link.node)")
            }
        }
        return (result, predicted)
    }

    func generated(_ result: RunResult) -> [String] {
        result.links.filter { $0.outcome == .generated }.map(\.node.description)
    }

    @Test func firstRunGeneratesEverythingAndSecondNothing() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 4)
            let first = RecordingGenerator()
            let (result, status) = try await run(plan, store: store, generator: first)
            #expect(result.status == .succeeded)
            #expect(generated(result).count == 12)
            #expect(first.calledNodes.count == 12)
            #expect(result.links.allSatisfy { $0.reason == "new" })
            #expect(status.links.filter { $0.state == .regenerate }.map(\.node.description) == ["ref/1"])

            let second = RecordingGenerator()
            let (again, againStatus) = try await run(plan, store: store, generator: second)
            #expect(second.calledNodes.isEmpty)
            #expect(again.links.allSatisfy { $0.outcome == .hit })
            #expect(againStatus.links.allSatisfy { $0.state == .cached })
            #expect(again.links.map(\.output) == result.links.map(\.output))
        }
    }

    @Test func editingAStartPromptRegeneratesExactlyTheStartChainFromThere() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            _ = try await run(try writeChainPlan(in: dir, scenes: 4), store: store, generator: RecordingGenerator())
            let edited = try writeChainPlan(in: dir, scenes: 4) { $0[1]["start"] = "start 2, edited" }
            let generator = RecordingGenerator()
            let (result, status) = try await run(edited, store: store, generator: generator)
            #expect(generated(result) == ["start/2", "start/3", "start/4"])
            #expect(generator.calledNodes.sorted() == ["start/2", "start/3", "start/4"])
            let reasons = Dictionary(uniqueKeysWithValues: result.links.map { ($0.node.description, $0.reason) })
            #expect(reasons["start/2"] == "prompt changed")
            #expect(reasons["start/3"] == "reference changed (start/2 regenerated)")
            #expect(reasons["start/4"] == "reference changed (start/3 regenerated)")
            let predicted = Dictionary(uniqueKeysWithValues: status.links.map { ($0.node.description, $0.state) })
            #expect(predicted["start/2"] == .regenerate)
            #expect(predicted["start/3"] == .pending)
            #expect(predicted["end/4"] == .cached)
        }
    }

    @Test func editingAConsistencyMarkerRegeneratesEverything() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            _ = try await run(try writeChainPlan(in: dir, scenes: 3), store: store, generator: RecordingGenerator())
            let generator = RecordingGenerator()
            let (result, _) = try await run(
                try writeChainPlan(in: dir, scenes: 3, style: "watercolour"), store: store, generator: generator)
            #expect(generated(result).count == 9)
            #expect(result.links.allSatisfy { $0.reason == "prompt changed" })
        }
    }

    @Test func changingATakeRegeneratesThatLinkAndItsDownstreamOnly() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 3)
            _ = try await run(plan, store: store, generator: RecordingGenerator())
            let (byOption, _) = try await run(
                plan, store: store, generator: RecordingGenerator(), takes: [NodeID(role: .end, scene: 2): 2])
            #expect(generated(byOption) == ["end/2", "end/3"])
            #expect(byOption.links.first { $0.node.description == "end/2" }?.reason == "take changed")

            let inPlan = try writeChainPlan(in: dir, scenes: 3) { $0[0]["takes"] = ["reference": 2] }
            let (result, _) = try await run(inPlan, store: store, generator: RecordingGenerator())
            #expect(generated(result).count == 9)
            #expect(result.links.first?.reason == "take changed")
        }
    }

    @Test func unchangedOutputBytesStopRegenerationDownstream() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let ignoring = RecordingGenerator(ignoresPromptOf: [.start])
            _ = try await run(try writeChainPlan(in: dir, scenes: 4), store: store, generator: ignoring)
            let edited = try writeChainPlan(in: dir, scenes: 4) { $0[1]["start"] = "start 2, edited" }
            let generator = RecordingGenerator(ignoresPromptOf: [.start])
            let (result, _) = try await run(edited, store: store, generator: generator)
            // start/2 has a new key and is generated again, but its bytes are the same: start/3 is a hit.
            #expect(generated(result) == ["start/2"])
            #expect(generator.calledNodes == ["start/2"])
        }
    }

    @Test func aFailedLinkSkipsItsDownstreamWhileTheOtherChainsFinish() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 3)
            let generator = RecordingGenerator(failing: ["start/2"])
            let loaded = try PlanLoader.load(contentsOf: plan)
            let result = try await ChainRunner(store: store, generator: generator)
                .run(loaded, configuration: RunConfiguration(jobs: 2))
            #expect(result.status == .failed)
            let outcomes = Dictionary(uniqueKeysWithValues: result.links.map { ($0.node.description, $0.outcome) })
            #expect(outcomes["start/2"] == .failed)
            #expect(outcomes["start/3"] == .skipped)
            #expect(outcomes["end/3"] == .generated)
            #expect(outcomes["ref/3"] == .generated)
            #expect(result.links.first { $0.node.description == "start/2" }?.error == "simulated failure of start/2")
            #expect(result.links.first { $0.node.description == "start/3" }?.reason == "upstream start/2 failed")
            let recorded = try store.links(ofRun: result.runID)
            #expect(recorded.map(\.outcome) == result.links.map(\.outcome))
            #expect(try store.run(id: result.runID)?.status == .failed)

            // The next run retries the failed link and says why.
            let (retry, _) = try await run(plan, store: store, generator: RecordingGenerator())
            #expect(generated(retry) == ["start/2", "start/3"])
            #expect(retry.links.first { $0.node.description == "start/2" }?.reason == "previous attempt failed")
        }
    }

    @Test func cancellingARunKeepsFinishedLinksAndRecordsItInterrupted() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 3)
            let loaded = try PlanLoader.load(contentsOf: plan)
            let (reachedRef2, signal) = AsyncStream.makeStream(of: Void.self)
            let generator = RecordingGenerator { node in
                if node == "ref/2" {
                    signal.yield()
                    try await Task.sleep(for: .seconds(600))
                }
            }
            let task = Task {
                try await ChainRunner(store: store, generator: generator)
                    .run(loaded, configuration: RunConfiguration(jobs: 1))
            }
            for await _ in reachedRef2 { break }
            task.cancel()
            let result = try await task.value
            #expect(result.status == .interrupted)
            #expect(try store.run(id: result.runID)?.status == .interrupted)
            let finished = result.links.filter { $0.outcome == .generated }.map(\.node.description)
            #expect(finished.contains("ref/1"))
            #expect(!finished.contains("ref/2"))
            // A rerun resumes: what finished is a hit.
            let (rerun, _) = try await run(plan, store: store, generator: RecordingGenerator())
            for node in finished { #expect(rerun.links.first { $0.node.description == node }?.outcome == .hit) }
        }
    }

    @Test func statusWritesNothing() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 2)
            _ = try await run(plan, store: store, generator: RecordingGenerator())
            let before = try store.read { db in
                try db.rows("SELECT count(*) FROM runs UNION ALL SELECT count(*) FROM blobs")
            }
            let edited = try writeChainPlan(in: dir, scenes: 2) { $0[0]["end"] = "changed" }
            let report = try await ChainRunner(store: store, generator: RecordingGenerator())
                .status(of: try PlanLoader.load(contentsOf: edited))
            #expect(report.links.first { $0.node.description == "end/1" }?.reason == "prompt changed")
            let after = try store.read { db in
                try db.rows("SELECT count(*) FROM runs UNION ALL SELECT count(*) FROM blobs")
            }
            #expect(before == after)
        }
    }

    @Test func offlineRunWithMissesChangesNothing() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 2)
            let generator = RecordingGenerator()
            await #expect(throws: ChainError.self) {
                try await ChainRunner(store: store, generator: generator)
                    .run(try PlanLoader.load(contentsOf: plan), configuration: RunConfiguration(offline: true))
            }
            #expect(generator.calledNodes.isEmpty)
            #expect(try store.runs().isEmpty)
            #expect(try store.read { db in try db.row("SELECT count(*) FROM blobs")?.int(0) } == 0)
        }
    }
}

