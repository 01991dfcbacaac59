import FrameChainTestKit
import Foundation
import Synchronization
import Testing

@testable import Chain
@testable import Store

/// A nondeterministic model: every call returns new bytes, as a real image model does.
final class RandomGenerator: Generator {
    let calls = Mutex<[String: Int]>([:])

    var callsByKey: [String: Int] { calls.withLock { $0 } }

    func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        calls.withLock { $0[job.request.key.description, default: 0] += 1 }
        let noise = (0..<32).map { _ in UInt8.random(in: 0...255) }
        return GeneratorOutput(bytes: pngSignature + noise, mediaType: .png)
    }
}

@Suite struct ChainRunnerRepairTests {
    func run(_ plan: String, _ store: Store, _ generator: any Generator) async throws -> RunResult {
        try await ChainRunner(store: store, generator: generator)
            .run(try PlanLoader.load(contentsOf: plan), configuration: RunConfiguration(jobs: 4))
    }

    func link(_ result: RunResult, _ node: String) -> RunLink? {
        result.links.first { $0.node.description == node }
    }

    @Test func twoLinksWithTheSameRequestAreOneGeneration() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            // A still shot: scene 1's start and end frames have the same prompt, so the same request.
            let plan = try writeChainPlan(in: dir, scenes: 3) { $0[0]["end"] = "start 1" }
            let generator = RandomGenerator()
            let result = try await run(plan, store, generator)
            #expect(result.status == .succeeded)
            let start = try #require(link(result, "start/1"))
            let end = try #require(link(result, "end/1"))
            #expect(start.key == end.key)
            #expect(start.output == end.output)
            #expect(generator.callsByKey.count == 8)
            #expect(generator.callsByKey.values.allSatisfy { $0 == 1 })
            // The store agrees with the run, so the next run is all hits.
            #expect(try store.generation(for: start.key!)?.output == start.output)
            let again = try await run(plan, store, RandomGenerator())
            #expect(again.links.allSatisfy { $0.outcome == .hit })
            #expect(try store.verify().problems.isEmpty)
        }
    }

    @Test func aMissingOutputIsRegeneratedAndTheGenerationRepaired() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 3)
            let first = try await run(plan, store, RandomGenerator())
            let lost = try #require(link(first, "start/1")?.output)
            try FileManager.default.removeItem(atPath: store.path(of: lost))

            let repaired = try await run(plan, store, RandomGenerator())
            #expect(link(repaired, "start/1")?.outcome == .generated)
            #expect(link(repaired, "start/1")?.reason == "output missing")
            let key = try #require(link(repaired, "start/1")?.key)
            #expect(try store.generation(for: key)?.output == link(repaired, "start/1")?.output)
            // Repaired once: the next run is all hits.
            let again = try await run(plan, store, RandomGenerator())
            #expect(again.links.allSatisfy { $0.outcome == .hit })
        }
    }

    @Test func aCorruptInputFailsItsLinkOnlyAndTheNextRunRepairsIt() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let plan = try writeChainPlan(in: dir, scenes: 3)
            let first = try await run(plan, store, RandomGenerator())
            // Flip a byte of start/1's image (same size), then edit start/2 so that start/1 is read as an input.
            let damaged = try #require(link(first, "start/1")?.output)
            var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: store.path(of: damaged))))
            bytes[bytes.count - 1] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: store.path(of: damaged)))
            let edited = try writeChainPlan(in: dir, scenes: 3) { $0[1]["start"] = "start 2, edited" }

            let broken = try await run(edited, store, RandomGenerator())
            #expect(broken.status == .failed)
            #expect(link(broken, "start/2")?.outcome == .failed)
            #expect(link(broken, "start/2")?.error?.contains("blob \(damaged) is corrupt") == true)
            #expect(link(broken, "start/3")?.outcome == .skipped)
            #expect(link(broken, "end/3")?.outcome == .hit)
            #expect(try store.links(ofRun: broken.runID).count == 9)
            #expect(try store.run(id: broken.runID)?.status == .failed)

            let repaired = try await run(edited, store, RandomGenerator())
            #expect(repaired.status == .succeeded)
            #expect(link(repaired, "start/1")?.reason == "output missing")
            // What remains is history: the first run's start/1 image is gone for good (its bytes were damaged),
            // and verify says so, naming it, until that run is deleted.
            let problems = try store.verify().problems
            #expect(!problems.isEmpty)
            #expect(problems.allSatisfy { $0.subject == damaged.description || $0.detail.contains(damaged.description) }, "\(problems)")
        }
    }

    @Test func verifyFindsLinksAndLineageEdgesThatDisagreeWithTheirGeneration() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let store = try Store(directory: dir + "/store")
            let result = try await run(try writeChainPlan(in: dir, scenes: 2), store, RandomGenerator())
            #expect(try store.verify().problems.isEmpty)
            let start = try #require(link(result, "start/1"))
            let end = try #require(link(result, "end/1"))
            try store.write { db in
                try db.execute(
                    "UPDATE run_links SET output = ? WHERE run_id = ? AND node = 'start/1'", end.output!, result.runID)
                try db.execute("UPDATE generation_inputs SET digest = ? WHERE key = ?", end.output!, end.key!)
            }
            let problems = try store.verify().problems.filter { $0.kind == .inconsistent }
            #expect(
                problems.map(\.subject).sorted()
                    == ["\(result.runID):start/1", end.key!.description].sorted())
            #expect(
                problems.contains {
                    $0.detail == "the link records output \(end.output!) but its key's generation has \(start.output!)"
                })
        }
    }
}
