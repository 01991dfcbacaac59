import Foundation
import FrameChainTestKit
import Testing

@testable import Store

/// The cost ledger: prices in the plan, costs recorded per generation, estimates in `status`, spent and saved in
/// `runs`/`show`/`report`, and `run --budget`.
@Suite(.serialized) struct CostLedgerTests {
    /// The perfume example with a `pricing` table (and `edit` applied to its text), in `directory`.
    private func writePlan(in directory: String, pricing: String, edit: (String) -> String = { $0 }) throws -> String {
        var text = String(decoding: try readFile(fixturesDirectory() + "/plans/perfume-ad.json"), as: UTF8.self)
        text = edit(text)
        let closing = try #require(text.range(of: "}", options: .backwards))
        text.replaceSubrange(closing, with: ", \"pricing\": \(pricing)\n}")
        try FileManager.default.createDirectory(atPath: directory + "/plans", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/images", withIntermediateDirectories: true)
        try writeFile(directory + "/plans/priced.json", Array(text.utf8))
        try writeFile(directory + "/images/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
        return directory + "/plans/priced.json"
    }

    private func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.output)) as? [String: Any], "\(result.error)")
    }

    private static let quarter = #"{ "procedural-v1": { "per_image": 0.25 } }"#
    private static let editStartTwo: @Sendable (String) -> String = {
        $0.replacingOccurrences(of: "A single drop of water falling", with: "Two drops of water falling")
    }

    @Test func statusAfterAnEditEstimatesExactlyTheInvalidatedLinks() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let plan = try writePlan(in: dir, pricing: Self.quarter)
            let cold = try json(try runFramechain(["status", plan, "--store", store, "--json"], scratch: dir))
            let coldCost = try #require(cold["cost"] as? [String: Any])
            #expect(coldCost["estimate"] as? Double == 3 && coldCost["links"] as? Int == 12)
            #expect(coldCost["saved"] as? Double == 0)
            #expect(try runFramechain(["run", plan, "--store", store], scratch: dir).status == 0)

            let edited = try writePlan(in: dir, pricing: Self.quarter, edit: Self.editStartTwo)
            let status = try json(try runFramechain(["status", edited, "--store", store, "--json"], scratch: dir))
            let links = status["links"] as? [[String: Any]] ?? []
            let invalidated = links.filter { $0["state"] as? String != "cached" }.compactMap { $0["node"] as? String }
            #expect(invalidated == ["start/2", "start/3", "start/4"])
            let cost = try #require(status["cost"] as? [String: Any])
            #expect(cost["estimate"] as? Double == 0.25 * Double(invalidated.count))
            #expect(cost["links"] as? Int == 3)
            #expect(cost["saved"] as? Double == 0.25 * 9)
            #expect(cost["cold"] as? Double == 3)
            let text = try runFramechain(["status", edited, "--store", store], scratch: dir)
            #expect(
                text.outputText.hasSuffix(
                    "estimate: 0.75 for 3 links to generate; the cache saves 2.25 of a cold run's 3\n"))
        }
    }

    @Test func aBudgetBelowTheEstimateRefusesAndCallsNoGenerator() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            #expect(
                try runFramechain(
                    ["run", try writePlan(in: dir, pricing: Self.quarter), "--store", store], scratch: dir
                ).status == 0)
            let edited = try writePlan(in: dir, pricing: Self.quarter, edit: Self.editStartTwo)
            let before = try snapshot(of: store)
            let refused = try runFramechain(["run", edited, "--store", store, "--budget", "0.5"], scratch: dir)
            #expect(refused.status == 2)
            #expect(
                refused.error == "Error: the estimated cost of this run, 0.75 for 3 link(s) to generate, exceeds "
                    + "--budget 0.5; nothing was generated\n")
            #expect(try snapshot(of: store) == before, "no run, no generation, no blob was recorded")
            // At the estimate, the run goes ahead.
            let allowed = try runFramechain(["run", edited, "--store", store, "--budget", "0.75"], scratch: dir)
            #expect(allowed.status == 0, "\(allowed.error)")
            let noPrices = try runFramechain(
                ["run", fixturesDirectory() + "/plans/perfume-ad.json", "--store", store, "--budget", "1"], scratch: dir
            )
            #expect(noPrices.status == 2)
            #expect(noPrices.error == "Error: --budget needs prices, and the plan has no pricing table\n")
        }
    }

    @Test func aBudgetStopsStartingPaidLinksOnceItWouldBeExceeded() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            // Priced per second of measured time, with a simulated latency: the estimate (no history: 0) passes, the
            // spending does not.
            let plan = try writePlan(in: dir, pricing: #"{ "procedural-v1": { "per_second": 1 } }"#) {
                $0.replacingOccurrences(of: #""latency_ms": 0"#, with: #""latency_ms": 100"#)
            }
            let result = try runFramechain(
                ["run", plan, "--store", store, "--budget", "0.25", "--jobs", "1", "--json"], scratch: dir)
            #expect(result.status == 1, "\(result.error)")
            let links = try json(result)["links"] as? [[String: Any]] ?? []
            let generated = links.filter { $0["outcome"] as? String == "generated" }
            let overBudget = links.filter { ($0["reason"] as? String ?? "").hasPrefix("over budget: ") }
            #expect(!generated.isEmpty && !overBudget.isEmpty)
            // Each link started only while the spent amount was within the budget: all but the last one fit in it.
            let show = try json(try runFramechain(["show", "latest", "--json", "--store", store], scratch: dir))
            let costs = (show["links"] as? [[String: Any]] ?? []).compactMap { $0["cost"] as? Double }
            #expect(costs.count == generated.count)
            #expect(costs.dropLast().reduce(0, +) <= 0.25)
            #expect(show["spent"] as? Double == costs.reduce(0, +))
        }
    }

    @Test func runsShowAndTheReportGiveSpentAndSaved() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let plan = try writePlan(in: dir, pricing: Self.quarter)
            #expect(try runFramechain(["run", plan, "--store", store], scratch: dir).status == 0)
            #expect(try runFramechain(["run", plan, "--store", store], scratch: dir).status == 0)
            let runs = try json(try runFramechain(["runs", "--json", "--store", store], scratch: dir))
            let list = runs["runs"] as? [[String: Any]] ?? []
            #expect(Set(list.compactMap { $0["spent"] as? Double }) == [3, 0])
            #expect(Set(list.compactMap { $0["saved"] as? Double }) == [0, 3])
            #expect((runs["total"] as? [String: Any])?["spent"] as? Double == 3)
            #expect((runs["total"] as? [String: Any])?["saved"] as? Double == 3)
            let text = try runFramechain(["runs", "--store", store], scratch: dir)
            #expect(text.outputText.hasSuffix("2 run(s); spent 3, saved 3 in total\n"))

            let show = try runFramechain(["show", "latest", "--store", store], scratch: dir)
            #expect(show.outputText.hasSuffix("spent 0, saved 3\n"), "\(show.outputText)")
            #expect(show.outputText.contains("saved 0.25"))

            // A bundle carries the ledger: the imported run saved what the original did.
            let export = try runFramechain(
                ["export", "latest", "--to", dir + "/run.bundle", "--store", store], scratch: dir)
            #expect(export.status == 0, "\(export.error)")
            let imported = try runFramechain(
                ["import", dir + "/run.bundle", "--store", dir + "/imported"], scratch: dir)
            #expect(imported.status == 0, "\(imported.error)")
            let importedShow = try runFramechain(["show", "latest", "--store", dir + "/imported"], scratch: dir)
            #expect(importedShow.outputText.hasSuffix("spent 0, saved 3\n"), "\(importedShow.outputText)")

            let report = try runFramechain(
                ["report", "latest", "--out", dir + "/report.html", "--store", store], scratch: dir)
            #expect(report.status == 0, "\(report.error)")
            let html = String(decoding: try readFile(dir + "/report.html"), as: UTF8.self)
            #expect(html.contains("spent 0 · saved 3"))
            #expect(html.components(separatedBy: "<div class=\"cost\">saved 0.25</div>").count == 13)
        }
    }

    @Test func badPricesAreNamed() throws {
        try withTemporaryDirectory { dir in
            let plan = try writePlan(in: dir, pricing: #"{ "procedural-v1": { "per_image": -1 } }"#)
            let result = try runFramechain(["status", plan, "--store", dir + "/store"], scratch: dir)
            #expect(result.status == 2)
            #expect(
                result.error == "Error: \(plan): pricing.procedural-v1.per_image: expected a price >= 0, found -1\n")
        }
    }
}
