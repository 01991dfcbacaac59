import FrameChainTestKit
import Testing

@testable import Store

@Suite struct PreviousLinksTests {
    @Test func theBaselineIsTheLatestAttemptPerNodeAcrossRuns() throws {
        try withTemporaryDirectory { directory in
            let store = try Store(directory: directory + "/store")
            let plan = try store.put(bytes: Array("plan".utf8)).digest
            let keys = (0..<4).map { SHA256.hash(data: [UInt8($0)]) }
            func run(_ id: String, at time: String, planName: String = "p", _ links: [(String, Digest?, LinkOutcome)])
                throws
            {
                try store.begin(
                    run: RunRecord(
                        id: id, planName: planName, plan: plan, planPath: nil, initialReference: nil, takes: "{}",
                        startedAt: time, finishedAt: nil, status: .running, mode: "generate", processID: nil))
                try store.record(
                    links: links.enumerated().map { index, link in
                        RunLinkRecord(
                            node: link.0, position: index, key: link.1, output: nil, outcome: link.2, reason: nil,
                            error: nil)
                    }, runID: id)
            }
            try run("old", at: "2026-01-01T00:00:00.000Z", [("ref/1", keys[0], .hit), ("start/1", keys[1], .hit)])
            try run("other", at: "2026-01-02T00:00:00.000Z", planName: "q", [("start/1", keys[3], .hit)])
            try run("new", at: "2026-01-03T00:00:00.000Z", [("ref/1", keys[2], .failed), ("start/1", nil, .skipped)])

            let previous = try store.previousLinks(planName: "p", nodes: ["ref/1", "start/1", "end/1"])
            #expect(previous["ref/1"] == PreviousLink(runID: "new", key: keys[2], outcome: .failed))
            // Skipped in the newest run: the attempt of the run before counts (never another plan's).
            #expect(previous["start/1"] == PreviousLink(runID: "old", key: keys[1], outcome: .hit))
            #expect(previous["end/1"] == nil)
            #expect(try store.previousLinks(planName: "p", nodes: ["ref/1"]).keys.sorted() == ["ref/1"])
        }
    }
}
