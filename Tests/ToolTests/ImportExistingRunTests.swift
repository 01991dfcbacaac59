import Foundation
import Store
import Testing

/// `import` of a run id the store already has: identical content is a no-op that says so, different content is
/// refused with exit 4 unless `--rename`, and local blobs are re-hashed before they are trusted.
@Suite struct ImportExistingRunTests {
    /// A copy of `bundle` changed by `sql`.
    static func altered(_ bundle: String, in workspace: AuditWorkspace, _ sql: String) throws -> String {
        let copy = workspace.root + "/altered-\(UUID().uuidString).sqlite"
        try FileManager.default.copyItem(atPath: bundle, toPath: copy)
        try ImportCommandTests.execute(sql, on: copy)
        return copy
    }

    @Test func theSameRunAgainIsANoOpThatSaysSo() throws {
        let (workspace, _, bundle, _) = try ImportCommandTests.exportedRun()
        let runID = try Store(directory: workspace.store).resolveRun("latest").id
        let before = try AuditWorkspace.fileHashes(workspace.store)
        // Into the store it came from.
        let result = try workspace.framechain(["import", bundle])
        #expect(result.status == 0)
        #expect(result.output == "run \(runID) is already in the store with identical content: nothing to import\n")
        #expect(try AuditWorkspace.fileHashes(workspace.store) == before)
    }

    @Test func aDifferentRunUnderTheSameIdIsRefusedWithExitFourUnlessRenamed() throws {
        let (workspace, _, bundle, _) = try ImportCommandTests.exportedRun()
        let runID = try Store(directory: workspace.store).resolveRun("latest").id
        let other = try Self.altered(bundle, in: workspace, "UPDATE runs SET finished_at = '2000-01-01T00:00:00.000Z'")
        let before = try AuditWorkspace.fileHashes(workspace.store)

        let refused = try workspace.framechain(["import", other])
        #expect(refused.status == 4)
        #expect(
            refused.error
                == "Error: \(other): run \(runID) already exists in the store with different content (its finish time "
                + "differs); nothing was imported. Use --rename to import it under a new id\n")
        #expect(try AuditWorkspace.fileHashes(workspace.store) == before)

        let renamed = try workspace.succeed(["import", other, "--rename"])
        #expect(renamed.hasPrefix("run \(runID) exists in the store with different content: imported as \(runID)-2\n"))
        let show = try workspace.json(["show", "\(runID)-2"])
        #expect((show["links"] as? [[String: Any]])?.count == 9)
        // A second renamed import takes the next number; the original run is untouched.
        try workspace.succeed(["import", other, "--rename"])
        #expect(try Store(directory: workspace.store).run(id: "\(runID)-3") != nil)
        #expect(try Store(directory: workspace.store).run(id: runID)?.finishedAt != "2000-01-01T00:00:00.000Z")
        try workspace.succeed(["verify"])
    }

    @Test func differentLinksAreADifferentRun() throws {
        let (workspace, _, bundle, _) = try ImportCommandTests.exportedRun()
        let other = try Self.altered(
            bundle, in: workspace, "UPDATE run_links SET outcome = 'hit' WHERE node = 'end/3'")
        let refused = try workspace.framechain(["import", other])
        #expect(refused.status == 4)
        #expect(refused.error.contains("(its links differ)"))
    }

    @Test func aDamagedLocalCopyOfABundledBlobIsReplacedNotTrusted() throws {
        let (workspace, _, bundle, _) = try ImportCommandTests.exportedRun()
        let target = workspace.root + "/target"
        try workspace.succeed(["import", bundle], store: target)
        // Damage one of the imported blobs in place (same size), then import the run again under a new id.
        let digest = try #require(
            try Store(directory: target).links(ofRun: Store(directory: target).resolveRun("latest").id)
                .first?.output)
        let file = workspace.blobPath(digest.description, in: target)
        var bytes = try AuditWorkspace.read(file)
        bytes[bytes.count / 2] ^= 0xff
        try AuditWorkspace.write(bytes, to: file)
        #expect(try workspace.framechain(["verify"], store: target).status == 4)

        let other = try Self.altered(bundle, in: workspace, "UPDATE runs SET finished_at = '2000-01-01T00:00:00.000Z'")
        let imported = try workspace.succeed(["import", other, "--rename"], store: target)
        #expect(imported.contains("1 blobs added"))
        #expect(SHA256.hash(data: try AuditWorkspace.read(file)) == digest)
        try workspace.succeed(["verify"], store: target)
    }

    @Test func aDamagedLocalBlobTheBundleReliesOnIsAnIntegrityFailure() throws {
        let (workspace, _, bundle, _) = try ImportCommandTests.exportedRun()
        // A bundle without the plan blob relies on the store's copy; the store's copy is damaged.
        let plan = try Store(directory: workspace.store).resolveRun("latest").plan
        let slim = try Self.altered(
            bundle, in: workspace,
            """
            UPDATE runs SET id = 'other-run'; UPDATE run_links SET run_id = 'other-run';
            DELETE FROM blob_data WHERE digest = '\(plan)'; DELETE FROM blobs WHERE digest = '\(plan)';
            """)
        let file = workspace.blobPath(plan.description)
        var bytes = try AuditWorkspace.read(file)
        bytes[0] ^= 0xff
        try AuditWorkspace.write(bytes, to: file)
        let before = try AuditWorkspace.fileHashes(workspace.store)

        let result = try workspace.framechain(["import", slim])
        #expect(result.status == 4)
        #expect(
            result.error
                == "Error: \(slim) relies on blob \(plan), which it does not carry, and the store's copy is corrupt "
                + "(run `framechain verify`)\n")
        #expect(try AuditWorkspace.fileHashes(workspace.store) == before)
    }
}
