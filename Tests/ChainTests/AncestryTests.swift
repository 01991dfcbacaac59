import FrameChainTestKit
import Chain
import Foundation
import Store
import Synchronization
import Testing

/// A generator that returns the PNG signature followed by the request's key, and counts its calls.
final class KeyEchoGenerator: Generator {
    let calls = Atomic<Int>(0)

    func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        calls.add(1, ordering: .relaxed)
        return GeneratorOutput(bytes: pngSignature + Array(job.request.key.description.utf8), mediaType: .png)
    }
}

/// Writes the perfume plan and its initial image into `directory`, runs it, and returns the store and result.
func runAuditPerfumePlan(in directory: String, generator: KeyEchoGenerator) async throws -> (Store, RunResult) {
    try writeFile(perfumePlanText, to: directory + "/plan.json")
    try writeFile(TestSupport.tinyPNG("bottle"), to: directory + "/images/bottle.png")
    let store = try Store(directory: directory + "/store")
    let loaded = try PlanLoader.load(contentsOf: directory + "/plan.json")
    let result = try await ChainRunner(store: store, generator: generator).run(
        loaded, configuration: RunConfiguration(jobs: 2, outputDirectory: directory + "/out"))
    return (store, result)
}

/// Like `withTemporaryDirectory`, for async bodies.
func withAuditDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("framechain-audit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url.path)
}

@Suite struct AncestryTests {
    @Test func ancestryOfEndTwoRunsBackThroughRefOneToTheInitialImage() async throws {
        try await withAuditDirectory { directory in
            let generator = KeyEchoGenerator()
            let (store, result) = try await runAuditPerfumePlan(in: directory, generator: generator)
            let output = Dictionary(uniqueKeysWithValues: result.links.map { ($0.node.description, $0) })
            let run = try store.resolveRun("latest")
            let ancestry = try Ancestry.trace(output["end/2"]!.output!, run: run, in: store)
            #expect(ancestry.steps.map(\.node) == ["end/2", "end/1", "ref/1", "initial"])
            #expect(
                ancestry.steps.map(\.digest)
                    == [
                        output["end/2"]!.output!, output["end/1"]!.output!, output["ref/1"]!.output!,
                        run.initialReference!,
                    ])
            #expect(
                ancestry.steps.map(\.key) == [output["end/2"]!.key, output["end/1"]!.key, output["ref/1"]!.key, nil])
            #expect(ancestry.steps[0].prompt == output["end/2"]!.prompt)
            #expect(ancestry.steps[0].backend == "procedural")
            #expect(ancestry.steps[0].take == 1)
            #expect(ancestry.steps.last?.inputs == [])

            // Without a run, nodes are named after the latest link that output each image.
            let unnamed = try Ancestry.trace(output["start/2"]!.output!, run: nil, in: store)
            #expect(unnamed.steps.map(\.node) == ["start/2", "start/1", "ref/1", "initial"])
            #expect(unnamed.steps[0].take == 2)
        }
    }

    @Test func anUnknownDigestIsNotFound() async throws {
        try await withAuditDirectory { directory in
            let (store, _) = try await runAuditPerfumePlan(in: directory, generator: KeyEchoGenerator())
            #expect(throws: StoreError.self) {
                try Ancestry.trace(SHA256.hash(data: [1, 2, 3]), run: nil, in: store)
            }
        }
    }
}
