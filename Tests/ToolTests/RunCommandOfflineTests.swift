import Foundation
import Testing

@Suite struct RunCommandOfflineTests {
    @Test func offlineAfterAnEditExitsThreeNamesTheLinksStatusRegeneratesAndChangesNothing() throws {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(scenes: 3)
        try workspace.succeed(["run", plan])
        // Edit scene 2's start prompt and scene 1's end prompt.
        try workspace.writePlan(
            scenes: 3,
            prompt: { scene, role in
                (scene, role) == (2, "start") || (scene, role) == (1, "end")
                    ? "new \(role) \(scene)" : "\(role) of scene \(scene)"
            })
        let status = try workspace.json(["status", plan])
        let links = try #require(status["links"] as? [[String: Any]])
        let regenerating = links.filter { $0["state"] as? String == "regenerate" }.map { $0["node"] as! String }
        #expect(regenerating == ["end/1", "start/2"])

        let files = try AuditWorkspace.fileHashes(workspace.store, includingDatabase: false)
        let rows = try AuditWorkspace.tableRows(workspace.store)
        let calls = workspace.generatorCalls
        let offline = try workspace.framechain(["run", plan, "--offline", "--out", workspace.root + "/out"])
        #expect(offline.status == 3)
        #expect(offline.error.contains("2 link(s) would need generating"))
        let named = offline.error.split(separator: "\n").filter { $0.hasPrefix("  ") }.map {
            String($0.dropFirst(2).prefix { $0 != ":" })
        }
        #expect(named == regenerating)
        #expect(offline.error.contains("start/2: prompt changed"))
        #expect(!FileManager.default.fileExists(atPath: workspace.root + "/out"))
        #expect(try AuditWorkspace.fileHashes(workspace.store, includingDatabase: false) == files)
        #expect(try AuditWorkspace.tableRows(workspace.store) == rows)
        #expect(workspace.generatorCalls == calls)
    }
}
