import Foundation
import Testing

@Suite struct RunCommandOfflineTests {
    @Test func offlineAfterAnEditExitsThreeNamesTheLinksStatusRegeneratesAndChangesNothing() throws {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(scenes: 3)
        try workspace.succeed(["run", plan])
        // Edit scene 2's start prompt.
        try workspace.writePlan(
            scenes: 3,
            prompt: { scene, role in
                scene == 2 && role == "start" ? "a new start for scene 2" : "\(role) of scene \(scene)"
            })
        let status = try workspace.json(["status", plan])
        let links = try #require(status["links"] as? [[String: Any]])
        let regenerating = links.filter { $0["state"] as? String == "regenerate" }.map { $0["node"] as! String }
        #expect(regenerating == ["start/2"])

        let files = try AuditWorkspace.fileHashes(workspace.store, includingDatabase: false)
        let rows = try AuditWorkspace.tableRows(workspace.store)
        let calls = workspace.generatorCalls
        let offline = try workspace.framechain(["run", plan, "--offline", "--out", workspace.root + "/out"])
        #expect(offline.status == 3)
        #expect(offline.error.contains("1 link(s) would need generating"))
        #expect(offline.error.contains("start/2: prompt changed"))
        #expect(!FileManager.default.fileExists(atPath: workspace.root + "/out"))
        #expect(try AuditWorkspace.fileHashes(workspace.store, includingDatabase: false) == files)
        #expect(try AuditWorkspace.tableRows(workspace.store) == rows)
        #expect(workspace.generatorCalls == calls)
    }
}
