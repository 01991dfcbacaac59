import Foundation
import Store
import Testing

@Suite struct ImportCommandTests {
    /// A store with one run of a three-scene plan, exported to `bundle.sqlite`.
    static func exportedRun() throws -> (AuditWorkspace, plan: String, bundle: String, outputs: [String: [UInt8]]) {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(scenes: 3)
        try workspace.succeed(["run", plan, "--out", workspace.root + "/original"])
        let bundle = workspace.root + "/bundle.sqlite"
        try workspace.succeed(["export", "latest", "--to", bundle])
        return (workspace, plan, bundle, try AuditWorkspace.images(in: workspace.root + "/original"))
    }

    @Test func importedRunReplaysAndRunsOfflineByteIdentically() throws {
        let (workspace, plan, bundle, original) = try Self.exportedRun()
        #expect(original.count == 9)
        let calls = workspace.generatorCalls
        let other = workspace.root + "/other-store"
        let imported = try workspace.succeed(["import", bundle], store: other)
        #expect(imported.contains("9 generations"))

        try workspace.succeed(["replay", "latest", "--out", workspace.root + "/replayed"], store: other)
        #expect(try AuditWorkspace.images(in: workspace.root + "/replayed") == original)
        // The manifest is the one the run wrote.
        #expect(
            try AuditWorkspace.read(workspace.root + "/replayed/manifest.json")
                == (try AuditWorkspace.read(workspace.root + "/original/manifest.json")))

        let offline = try workspace.json(
            ["run", plan, "--offline", "--out", workspace.root + "/offline"], store: other)
        #expect((offline["links"] as? [[String: Any]])?.allSatisfy { $0["outcome"] as? String == "hit" } == true)
        #expect(try AuditWorkspace.images(in: workspace.root + "/offline") == original)
        #expect(workspace.generatorCalls == calls)
        try workspace.succeed(["verify"], store: other)

        // Importing again changes nothing.
        let before = try AuditWorkspace.tableRows(other)
        try workspace.succeed(["import", bundle], store: other)
        #expect(try AuditWorkspace.tableRows(other) == before)
    }

    /// Damages a copy of the bundle with `damage` and checks that importing it exits 2 with `message` and leaves
    /// the store byte for byte as it was.
    static func expectRejected(
        _ workspace: AuditWorkspace, bundle: String, message: String, damage: (String) throws -> Void
    ) throws {
        let bad = workspace.root + "/bad-\(UUID().uuidString).sqlite"
        try FileManager.default.copyItem(atPath: bundle, toPath: bad)
        try damage(bad)
        let store = workspace.root + "/target-store"
        let before = try AuditWorkspace.fileHashes(store)
        let result = try workspace.framechain(["import", bad], store: store)
        #expect(result.status == 2, "\(message): \(result.error)")
        #expect(result.error.contains(message), "expected \(message) in \(result.error)")
        #expect(try AuditWorkspace.fileHashes(store) == before)
    }

    static func execute(_ sql: String, on path: String) throws {
        let db = try Database(path: path, create: false)
        try db.execute("PRAGMA journal_mode = DELETE")
        try db.execute(sql)
    }

    @Test func badBundlesExitTwoAndLeaveTheStoreUnchanged() throws {
        let (workspace, plan, bundle, _) = try Self.exportedRun()
        // A target store with a run of another plan in it, so there is something to keep unchanged.
        let otherPlan = try workspace.writePlan(
            "other.json", scenes: 1, prompt: { "other \($1) \($0)" }, planName: "other")
        try workspace.succeed(["run", otherPlan], store: workspace.root + "/target-store")
        _ = plan

        try Self.expectRejected(workspace, bundle: bundle, message: "is not a valid bundle: file is not a database") {
            try AuditWorkspace.write(Array("this is not a database at all, just text".utf8), to: $0)
        }
        try Self.expectRejected(workspace, bundle: bundle, message: "is not a valid bundle") { path in
            let bytes = try AuditWorkspace.read(path)
            try AuditWorkspace.write(Array(bytes.prefix(bytes.count / 3)), to: path)
        }
        try Self.expectRejected(workspace, bundle: bundle, message: "hash to") { path in
            try Self.execute(
                "UPDATE blob_data SET bytes = randomblob(length(bytes)) WHERE rowid = (SELECT max(rowid) FROM blob_data)",
                on: path)
        }
        try Self.expectRejected(workspace, bundle: bundle, message: "its request text hashes to") { path in
            try Self.execute(
                "UPDATE generations SET request = replace(request, 'scene', 'SCENE') WHERE rowid = 1", on: path)
        }
        try Self.expectRejected(workspace, bundle: bundle, message: "neither in the bundle nor in the store") { path in
            try Self.execute(
                """
                DELETE FROM blobs WHERE digest = (SELECT output FROM generations ORDER BY key LIMIT 1);
                DELETE FROM blob_data WHERE digest = (SELECT output FROM generations ORDER BY key LIMIT 1);
                """, on: path)
        }
        try Self.expectRejected(workspace, bundle: bundle, message: "is not a digest") { path in
            try Self.execute("UPDATE runs SET plan = 'sha256:../../../../etc/passwd'", on: path)
        }
        try Self.expectRejected(workspace, bundle: bundle, message: "is not a digest") { path in
            try Self.execute(
                "UPDATE generation_inputs SET digest = upper(digest) WHERE rowid = 1", on: path)
        }
    }
}
