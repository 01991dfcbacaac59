import Foundation
import Testing

@Suite struct DiffCommandTests {
    @Test func runsShowAndDiffDescribeTheHistory() throws {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(scenes: 2)
        try workspace.succeed(["run", plan])
        try workspace.writePlan(
            scenes: 2, prompt: { s, r in s == 1 && r == "start" ? "edited start" : "\(r) of scene \(s)" })
        try workspace.succeed(["run", plan])

        let runs = try #require(try workspace.json(["runs"])["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs.map { $0["status"] as? String } == ["succeeded", "succeeded"])
        #expect((runs[0]["counts"] as? [String: Int]) == ["hit": 0, "generated": 6, "failed": 0, "skipped": 0])
        #expect((runs[1]["counts"] as? [String: Int]) == ["hit": 4, "generated": 2, "failed": 0, "skipped": 0])
        let first = runs[0]["id"] as! String
        let second = runs[1]["id"] as! String

        let show = try workspace.json(["show", second])
        let links = try #require(show["links"] as? [[String: Any]])
        #expect(links.map { $0["node"] as? String } == ["ref/1", "start/1", "end/1", "ref/2", "start/2", "end/2"])
        #expect(links.map { $0["outcome"] as? String } == ["hit", "generated", "hit", "hit", "generated", "hit"])
        #expect(links[1]["reason"] as? String == "prompt changed")
        #expect(links[4]["reason"] as? String == "reference changed (start/1 regenerated)")

        let diff = try workspace.json(["diff", first, second])
        let changes = try #require(diff["changes"] as? [[String: Any]])
        #expect(changes.map { $0["node"] as? String } == ["start/1", "start/2"])
        #expect(changes.map { $0["fields"] as? [String] } == [["prompt"], ["inputs"]])
        #expect(diff["unchanged"] as? Int == 4)
        let text = try workspace.succeed(["diff", first, "latest"])
        #expect(text.contains("start/1   changed  prompt"))
        #expect(text.contains("2 node(s) changed, 4 unchanged"))
    }
}
