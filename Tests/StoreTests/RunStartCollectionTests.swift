import FrameChainTestKit
import Testing

@testable import Store

/// A run puts its plan blob and then records its row; a `gc` in between may collect the blob when it was already
/// stored, unreferenced and older than the grace period (the CI once lost a run to exactly this, as a foreign-key
/// failure). The gc is placed in that gap here by hand.
@Suite struct RunStartCollectionTests {
    private func record(_ id: String, plan: Digest) -> RunRecord {
        RunRecord(
            id: id, planName: "p", plan: plan, planPath: nil, initialReference: nil, takes: "{}",
            startedAt: "2026-01-01T00:00:00.000Z", finishedAt: nil, status: .running, mode: "generate", processID: nil)
    }

    @Test func aPlanBlobCollectedBeforeTheRunStartsIsPutAgain() throws {
        try withTemporaryDirectory { directory in
            let store = try Store(directory: directory + "/store")
            let bytes = Array("the plan".utf8)
            let plan = try store.put(bytes: bytes).digest
            let report = try store.collectGarbage(CollectionPolicy(graceSeconds: 0))
            #expect(report.blobs.map(\.digest) == [plan])
            #expect(try !store.contains(plan))

            var puts = 0
            try store.begin(
                run: record("r1", plan: plan),
                restoringBlobs: { () throws(StoreError) in
                    puts += 1
                    _ = try store.put(bytes: bytes)
                })
            #expect(puts == 1)
            #expect(try store.run(id: "r1")?.plan == plan)
            #expect(try store.contents(of: plan) == bytes)
            // Referenced now: the next gc keeps it.
            #expect(try store.collectGarbage(CollectionPolicy(graceSeconds: 0)).blobs.isEmpty)
            #expect(try store.verify().ok)
        }
    }

    @Test func withoutAWayToPutItAgainTheRunIsRefusedClearlyAndNothingIsRecorded() throws {
        try withTemporaryDirectory { directory in
            let store = try Store(directory: directory + "/store")
            let plan = try store.put(bytes: Array("the plan".utf8)).digest
            _ = try store.collectGarbage(CollectionPolicy(graceSeconds: 0))
            let error = #expect(throws: StoreError.self) { try store.begin(run: record("r1", plan: plan)) }
            #expect(error?.code == .io)
            #expect(error?.message.contains("blob \(plan) of run r1 was removed before it was recorded") == true)
            #expect(try store.runs().isEmpty)
        }
    }
}
