import Foundation
import Testing

@Suite struct GCCommandTests {
    @Test func gcAfterDeletingOldRunsKeepsWhatKeptRunsNeed() throws {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(scenes: 3)
        try workspace.succeed(["run", plan])
        // Two edits, each a new run; the first run's start/2.. and end/3 generations become unused once it goes.
        try workspace.writePlan(
            scenes: 3, prompt: { s, r in s == 2 && r == "start" ? "edit one" : "\(r) of scene \(s)" })
        try workspace.succeed(["run", plan])
        try workspace.writePlan(
            scenes: 3, prompt: { s, r in s >= 2 && r != "reference" ? "edit two \(r) \(s)" : "\(r) of scene \(s)" })
        try workspace.succeed(["run", plan])
        let loose = workspace.root + "/loose.png"
        try AuditWorkspace.write(AuditWorkspace.pngSignature + Array("loose".utf8), to: loose)
        try workspace.succeed(["blob", "put", loose])

        let runs = try #require(try workspace.json(["runs"])["runs"] as? [[String: Any]])
        #expect(runs.count == 3)
        let ids = runs.map { $0["id"] as! String }
        try workspace.succeed(["runs", "delete", ids[0], ids[1]])
        #expect((try workspace.json(["runs"])["runs"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[2]])

        // The default grace period protects everything this young.
        let young = try workspace.json(["gc", "--generations", "--dry-run"])
        #expect((young["blobs"] as? [Any])?.isEmpty == true)

        let dry = try workspace.json(["gc", "--generations", "--grace", "0", "--dry-run"])
        let wouldRemove = (dry["blobs"] as? [[String: Any]] ?? []).count
        // start/2..3 and end/2..3 of the first run and start/2..3 of the second; their outputs, the two
        // deleted runs' plans and the loose blob.
        let generations = (dry["generations"] as? [Any] ?? []).count
        #expect(generations == 6)
        #expect(wouldRemove == generations + 2 + 1)
        #expect((dry["bytes"] as? Int ?? 0) > 0)
        // A dry run removes nothing.
        #expect(try workspace.json(["verify"])["ok"] as? Bool == true)
        let before = try AuditWorkspace.fileHashes(workspace.store, includingDatabase: false)
        let removed = try workspace.json(["gc", "--generations", "--grace", "0"])
        #expect((removed["blobs"] as? [Any])?.count == wouldRemove)
        let after = try AuditWorkspace.fileHashes(workspace.store, includingDatabase: false)
        #expect(before.count - after.count == wouldRemove)

        let verify = try workspace.json(["verify"])
        #expect(verify["ok"] as? Bool == true)
        #expect((verify["checked"] as? [String: Any])?["generations"] as? Int == 9)
        try workspace.succeed(["replay", ids[2], "--out", workspace.root + "/replayed"])
        #expect(try AuditWorkspace.images(in: workspace.root + "/replayed").count == 9)
        // The kept plan still runs fully cached.
        let offline = try workspace.json(["run", plan, "--offline"])
        #expect((offline["links"] as? [[String: Any]])?.allSatisfy { $0["outcome"] as? String == "hit" } == true)
    }

    @Test func staleStagingFilesOfDeadWritersGoAndLiveOnesStay() throws {
        let workspace = try AuditWorkspace()
        try workspace.succeed(["run", try workspace.writePlan(scenes: 1)])
        // pid 2^22+1 is above Linux's default pid_max, so no process has it; our own pid is alive.
        let dead = workspace.store + "/tmp/put-4194305-123"
        let live = workspace.store + "/tmp/put-\(getpid())-456"
        try AuditWorkspace.write(Array("partial".utf8), to: dead)
        try AuditWorkspace.write(Array("in progress".utf8), to: live)
        let report = try workspace.json(["gc", "--grace", "0"])
        #expect((report["staging"] as? [[String: Any]])?.map { $0["name"] as? String } == ["put-4194305-123"])
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
    }
}
