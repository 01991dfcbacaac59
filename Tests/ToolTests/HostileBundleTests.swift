import Foundation
import Store
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One hostile bundle: what is wrong with it, how it is made from a good bundle, and what `import` must answer.
struct HostileBundle: Sendable {
    enum Damage: Sendable {
        /// SQL run on a copy of the good bundle.
        case sql(String)
        /// The copy's bytes replaced by a function of the good bundle's bytes.
        case bytes(@Sendable ([UInt8]) -> [UInt8])
        /// Something other than a file at the bundle's path.
        case special(@Sendable (String) throws -> Void)
    }

    let problem: String
    let damage: Damage
    /// The error line after `Error: `; `$BUNDLE` is the bundle's path, `$RUN` the exported run's id.
    let message: String
    var exitCode: Int32 = 2

    init(_ problem: String, _ damage: Damage, _ message: String, exit: Int32 = 2) {
        self.problem = problem
        self.damage = damage
        self.message = message
        self.exitCode = exit
    }
}

/// SQL that replaces `table` with a copy without its primary key, so that duplicate rows can be inserted.
private func withoutPrimaryKey(_ table: String) -> String {
    "CREATE TABLE copy AS SELECT * FROM \(table); DROP TABLE \(table); ALTER TABLE copy RENAME TO \(table);"
}

/// The table: bundles that are cut, forged, path-like, oversized, duplicated or clash with the store.
let hostileBundles: [HostileBundle] = [
    HostileBundle(
        "an empty file", .bytes { _ in [] },
        "$BUNDLE is not a valid bundle: it has no bundle_meta table (an empty file, or not written by framechain export)"
    ),
    HostileBundle(
        "text, not a database", .bytes { _ in Array("this is not a database at all, just text".utf8) },
        "$BUNDLE is not a valid bundle: file is not a database"),
    HostileBundle(
        "truncated to a third", .bytes { Array($0.prefix($0.count / 3)) },
        "$BUNDLE is not a valid bundle: database disk image is malformed"),
    HostileBundle(
        "a directory",
        .special { try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: false) },
        "$BUNDLE: is a directory"),
    HostileBundle(
        "a FIFO (reading it would block)", .special { path in #expect(mkfifo(path, 0o600) == 0) },
        "$BUNDLE: is not a regular file"),
    HostileBundle(
        "another bundle format", .sql("UPDATE bundle_meta SET value = 'framechain.bundle/v9' WHERE key = 'format'"),
        "$BUNDLE is not a valid bundle: bundle_meta.format is not framechain.bundle/v1"),
    HostileBundle(
        "a blob whose bytes are not those of its digest",
        .sql("UPDATE blob_data SET bytes = zeroblob(length(bytes)) WHERE rowid = (SELECT min(rowid) FROM blob_data)"),
        "$BUNDLE is not a valid bundle: the bytes of blob $FIRSTBLOB hash to sha256:"),
    HostileBundle(
        "a declared size of 1 TB",
        .sql("UPDATE blobs SET size = 1099511627776 WHERE rowid = (SELECT min(rowid) FROM blob_data)"),
        "$BUNDLE is not a valid bundle: blob $FIRSTBLOB has "),
    HostileBundle(
        "a path with .. where a digest belongs", .sql("UPDATE runs SET plan = 'sha256:../../../../etc/passwd'"),
        "$BUNDLE is not a valid bundle: runs.plan of $RUN \"sha256:../../../../etc/passwd\" is not a digest (sha256:<64 lowercase hex>)"
    ),
    HostileBundle(
        "an absolute path as a run id",
        .sql("UPDATE runs SET id = '/etc/passwd'; UPDATE run_links SET run_id = '/etc/passwd'"),
        "$BUNDLE is not a valid bundle: a run id is empty, not printable ASCII, or holds a '/'"),
    HostileBundle(
        "an upper-case digest", .sql("UPDATE generation_inputs SET digest = upper(digest) WHERE rowid = 1"),
        "$BUNDLE is not a valid bundle: generation_inputs.digest \"SHA256:"),
    HostileBundle(
        "a request text that does not hash to its key",
        .sql("UPDATE generations SET request = replace(request, 'scene', 'SCENE') WHERE rowid = 1"),
        "$BUNDLE is not a valid bundle: generation sha256:"),
    HostileBundle(
        "a blob listed twice",
        .sql(withoutPrimaryKey("blobs") + "INSERT INTO blobs SELECT * FROM blobs WHERE rowid = 1"),
        "$BUNDLE is not a valid bundle: blob $FIRSTBLOB is listed twice in blobs"),
    HostileBundle(
        "a blob's bytes stored twice",
        .sql(withoutPrimaryKey("blob_data") + "INSERT INTO blob_data SELECT * FROM blob_data WHERE rowid = 1"),
        "$BUNDLE is not a valid bundle: blob $FIRSTBLOB has its bytes twice in blob_data"),
    HostileBundle(
        "the run listed twice", .sql(withoutPrimaryKey("runs") + "INSERT INTO runs SELECT * FROM runs"),
        "$BUNDLE is not a valid bundle: run $RUN is listed twice in runs"),
    HostileBundle(
        "a link listed twice",
        .sql(withoutPrimaryKey("run_links") + "INSERT INTO run_links SELECT * FROM run_links WHERE node = 'end/3'"),
        "$BUNDLE is not a valid bundle: link $RUN:end/3 is listed twice in run_links"),
    HostileBundle(
        "a referenced blob carried by neither the bundle nor the store",
        .sql(
            "DELETE FROM blobs WHERE digest = (SELECT plan FROM runs); DELETE FROM blob_data WHERE digest = (SELECT plan FROM runs)"
        ),
        "$BUNDLE is not a valid bundle: blob $PLAN is referenced but neither in the bundle nor in the store"),
    HostileBundle(
        "no run at all", .sql("DELETE FROM run_links; DELETE FROM runs"),
        "$BUNDLE is not a valid bundle: it holds no run"),
    HostileBundle(
        "a run id the store already has, with other content",
        .sql("UPDATE runs SET id = 'taken'; UPDATE run_links SET run_id = 'taken'"),
        "$BUNDLE: run taken already exists in the store with different content (its plan name differs); nothing was "
            + "imported. Use --rename to import it under a new id", exit: 4),
]

@Suite struct HostileBundleTests {
    @Test func eachHostileBundleIsRefusedWithAClearErrorAndTheStoreUnchanged() throws {
        let (workspace, _, bundle, _) = try ImportCommandTests.exportedRun()
        let exported = try Store(directory: workspace.store).resolveRun("latest")
        let firstBlob = try #require(
            try Database(readOnlyAt: bundle).row(
                "SELECT digest FROM blob_data WHERE rowid = (SELECT min(rowid) FROM blob_data)")?
                .string(0))
        // The target store holds a run of another plan, under the id `taken`.
        let target = workspace.root + "/target-store"
        let otherPlan = try workspace.writePlan(
            "other.json", scenes: 1, prompt: { "other \($1) \($0)" }, planName: "other")
        try workspace.succeed(["run", otherPlan], store: target)
        try workspace.execute(
            "PRAGMA foreign_keys = OFF; UPDATE runs SET id = 'taken'; UPDATE run_links SET run_id = 'taken'", in: target
        )
        let before = try AuditWorkspace.fileHashes(target)
        #expect(hostileBundles.count >= 10)

        for (index, row) in hostileBundles.enumerated() {
            let bad = workspace.root + "/hostile-\(index).bundle"
            switch row.damage {
            case .sql(let sql):
                try FileManager.default.copyItem(atPath: bundle, toPath: bad)
                try ImportCommandTests.execute(sql, on: bad)
            case .bytes(let transform): try AuditWorkspace.write(transform(try AuditWorkspace.read(bundle)), to: bad)
            case .special(let make): try make(bad)
            }
            let result = try workspace.framechain(["import", bad], store: target)
            let expected =
                "Error: "
                + row.message.replacingOccurrences(of: "$BUNDLE", with: bad)
                .replacingOccurrences(of: "$RUN", with: exported.id).replacingOccurrences(
                    of: "$PLAN", with: exported.plan.description
                )
                .replacingOccurrences(of: "$FIRSTBLOB", with: firstBlob)
            #expect(result.status == row.exitCode, "\(row.problem): \(result.error)")
            #expect(result.error.hasPrefix(expected), "\(row.problem): expected \(expected), got \(result.error)")
            #expect(!result.error.dropLast().contains("\n"), "\(row.problem): one line")
            #expect(try AuditWorkspace.fileHashes(target) == before, "\(row.problem) changed the store")
        }
        try workspace.succeed(["verify"], store: target)
    }
}
