import Foundation
import FrameChainTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Several framechain processes on one store at once (issue 10, item 3): each case uses real processes and the
/// slow command generator, counts the paid calls it makes, and ends with `verify`.
@Suite(.serialized, .enabled(if: slowGeneratorAvailable)) struct ConcurrencyTests {
    /// The example storyboard's links: 4 scenes of reference, start and end.
    static let links = 12

    private func expectClean(_ results: [ProcessResult], _ workspace: SlowPlanWorkspace) throws {
        for result in results {
            #expect(result.status == 0, "\(result.outputText) \(result.error)")
            #expect(!result.error.contains("database is locked"))
        }
        let verify = try workspace.verify()
        #expect(verify.status == 0, "\(verify.outputText) \(verify.error)")
    }

    @Test func twoRunsOfTheSamePlanPayOnceForEveryLink() throws {
        try withTemporaryDirectory { root in
            let workspace = SlowPlanWorkspace(root: root)
            let plan = try workspace.writePlan("plan.json")
            let first = try workspace.launch(["run", plan])
            let second = try workspace.launch(["run", plan])
            let results = [try first.finish(), try second.finish()]
            try expectClean(results, workspace)
            // One generator call per link in all, whichever process made it; the other reused it.
            #expect(workspace.calls().count == Self.links)
            #expect(try workspace.count("generations") == Self.links)
            #expect(try workspace.count("leases") == 0)
            let summaries = results.map { $0.outputText.split(separator: "\n").last.map(String.init) ?? "" }
            #expect(summaries.allSatisfy { $0.contains("succeeded: 12 links") })
        }
    }

    @Test func twoRunsOfDifferentPlansBothComplete() throws {
        try withTemporaryDirectory { root in
            let workspace = SlowPlanWorkspace(root: root)
            let one = try workspace.writePlan("one.json", name: "one", suffix: "at dawn")
            let two = try workspace.writePlan("two.json", name: "two", suffix: "at dusk")
            let first = try workspace.launch(["run", one])
            let second = try workspace.launch(["run", two])
            try expectClean([try first.finish(), try second.finish()], workspace)
            #expect(workspace.calls().count == 2 * Self.links)
            #expect(try workspace.count("generations") == 2 * Self.links)
            #expect(try workspace.count("runs") == 2)
        }
    }

    @Test func gcAndVerifyWhileARunWrites() throws {
        try withTemporaryDirectory { root in
            let workspace = SlowPlanWorkspace(root: root)
            let plan = try workspace.writePlan("plan.json")
            let other = try workspace.writePlan("other.json", name: "other", suffix: "in the rain")
            // A finished run whose plan is then deleted leaves garbage for gc to collect during the next run.
            #expect(try workspace.run(["run", other], milliseconds: 0).status == 0)
            let ids = try workspace.run(["runs", "--json"]).outputText
            let otherID = try #require(
                (try JSONSerialization.jsonObject(with: Data(ids.utf8)) as? [String: Any])?["runs"] as? [[String: Any]]
            ).first?["id"] as? String
            #expect(try workspace.run(["runs", "delete", try #require(otherID)]).status == 0)
            // gc runs with a grace period of 2 s: everything of the deleted run is older, while a write in progress
            // (a file renamed into place a moment before its row commits) is younger. With --grace 0, gc may take
            // such a file and the run stops ("run the command again"). The deleted run's initial reference is the
            // same image as this run's, already stored and old: gc may collect it between the run's put and its row,
            // and the run puts it again (RunStartCollectionTests; CI once failed here before that).
            usleep(2_100_000)

            let running = try workspace.launch(["run", plan], milliseconds: 150)
            var sideResults: [ProcessResult] = []
            var gcRuns = 0
            while running.process.isRunning {
                sideResults.append(try workspace.run(["verify"]))
                sideResults.append(try workspace.run(["gc", "--generations", "--grace", "2"]))
                gcRuns += 1
            }
            let result = try running.finish()
            try expectClean([result] + sideResults, workspace)
            #expect(gcRuns > 0)
            // While the run is in progress, gc keeps every generation (the run may be about to reuse one).
            #expect(sideResults.contains { $0.outputText.contains("kept every generation: run ") })
            // …and removes what is garbage (the deleted run's plan).
            #expect(sideResults.contains { $0.outputText.contains("removed blob ") })
            #expect(result.outputText.contains("succeeded: 12 links"))
            // Nothing the run committed was collected under it: a second run reuses every link.
            let before = workspace.calls().count
            let again = try workspace.run(["run", plan])
            #expect(again.outputText.contains("12 hits"), "\(again.outputText)")
            #expect(workspace.calls().count == before)
        }
    }

    @Test func statusShowsALinkInFlightAndAKilledHolderBlocksNothing() throws {
        try withTemporaryDirectory { root in
            let workspace = SlowPlanWorkspace(root: root)
            let plan = try workspace.writePlan("plan.json")
            // The first link takes a minute: its lease is held while status looks.
            let holder = try workspace.launch(["run", plan, "--jobs", "1"], milliseconds: 60_000)
            try workspace.waitUntil { workspace.calls().count == 1 }
            let status = try workspace.run(["status", plan])
            #expect(status.outputText.contains("in flight (pid \(holder.process.processIdentifier))"), "\(status.outputText)")
            kill(holder.process.processIdentifier, SIGKILL)
            let killed = try holder.finish()
            #expect(killed.signaled)
            // The lease died with its holder: the next run generates at once instead of waiting for it.
            let next = try workspace.run(["run", plan], milliseconds: 0)
            try expectClean([next], workspace)
            #expect(next.outputText.contains("succeeded: 12 links"))
            #expect(workspace.calls().count == 1 + Self.links)
            let after = try workspace.run(["status", plan])
            #expect(!after.outputText.contains("in flight"))
        }
    }
}
