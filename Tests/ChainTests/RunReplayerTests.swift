import Chain
import Foundation
import Store
import Testing

@Suite struct RunReplayerTests {
    @Test func replayWritesTheRunsFilesAndManifestWithoutAGenerator() async throws {
        try await withAuditDirectory { directory in
            let generator = KeyEchoGenerator()
            let (store, result) = try await runAuditPerfumePlan(in: directory, generator: generator)
            let calls = generator.calls.load(ordering: .relaxed)
            let replayed = try RunReplayer(store: store).replay(
                try store.resolveRun(result.runID), to: directory + "/again")
            #expect(replayed.complete)
            #expect(replayed.links.map(\.node) == result.links.map(\.node))
            for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/out") {
                #expect(
                    FileManager.default.contents(atPath: directory + "/out/" + name)
                        == FileManager.default.contents(atPath: directory + "/again/" + name), "\(name)")
            }
            #expect(generator.calls.load(ordering: .relaxed) == calls)
        }
    }

    @Test func aMissingOutputIsReportedAndTheRestIsWritten() async throws {
        try await withAuditDirectory { directory in
            let (store, result) = try await runAuditPerfumePlan(in: directory, generator: KeyEchoGenerator())
            let lost = result.links.first { $0.node.description == "end/2" }!.output!
            try FileManager.default.removeItem(atPath: store.path(of: lost))
            let replayed = try RunReplayer(store: store).replay(
                try store.resolveRun("latest"), to: directory + "/again")
            #expect(!replayed.complete)
            #expect(replayed.missing.map(\.node.description) == ["end/2"])
            let names = try FileManager.default.contentsOfDirectory(atPath: directory + "/again").sorted()
            #expect(names.count == 6)  // five images and the manifest
            #expect(!names.contains("end_02.png"))
        }
    }
}
