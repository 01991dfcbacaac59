import Foundation
import Testing

@Suite struct VerifyCommandTests {
    /// A store with one run of a two-scene plan; returns the run's JSON links.
    static func storeWithRun() throws -> (AuditWorkspace, links: [[String: Any]]) {
        let workspace = try AuditWorkspace()
        let run = try workspace.json(["run", try workspace.writePlan(scenes: 2)])
        return (workspace, try #require(run["links"] as? [[String: Any]]))
    }

    /// Runs `verify --json`, requires exit 4, and returns the problems as (kind, subject) pairs.
    static func problems(_ workspace: AuditWorkspace) throws -> [(kind: String, subject: String)] {
        let result = try workspace.framechain(["verify", "--json"])
        #expect(result.status == 4)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        return (report["problems"] as? [[String: Any]] ?? []).map {
            ($0["kind"] as? String ?? "", $0["subject"] as? String ?? "")
        }
    }

    @Test func aSoundStoreVerifies() throws {
        let (workspace, _) = try Self.storeWithRun()
        let report = try workspace.json(["verify"])
        #expect(report["ok"] as? Bool == true)
        let checked = try #require(report["checked"] as? [String: Any])
        // 6 outputs, the initial image and the plan.
        #expect(checked["blobs"] as? Int == 8)
        #expect(checked["generations"] as? Int == 6)
        #expect((report["problems"] as? [Any])?.isEmpty == true)
    }

    @Test func aFlippedByteIsCorrupt() throws {
        let (workspace, links) = try Self.storeWithRun()
        let output = links[1]["output"] as! String
        let path = workspace.blobPath(output)
        var bytes = try AuditWorkspace.read(path)
        bytes[bytes.count - 2] ^= 0x01
        chmod(path, 0o600)
        try AuditWorkspace.write(bytes, to: path)
        let found = try Self.problems(workspace)
        #expect(found.map(\.kind) == ["corrupt"])
        #expect(found.first?.subject == output)
    }

    @Test func aRowRecordingTheWrongSizeIsCorrupt() throws {
        let (workspace, links) = try Self.storeWithRun()
        let output = links[3]["output"] as! String
        try workspace.execute("UPDATE blobs SET size = size + 1 WHERE digest = '\(output)'")
        let found = try Self.problems(workspace)
        #expect(found.map(\.kind) == ["corrupt"])
        #expect(found.first?.subject == output)
    }

    @Test func aDeletedBlobFileIsMissing() throws {
        let (workspace, links) = try Self.storeWithRun()
        let output = links[0]["output"] as! String
        try FileManager.default.removeItem(atPath: workspace.blobPath(output))
        let found = try Self.problems(workspace)
        #expect(found.map(\.kind) == ["missing"])
        #expect(found.first?.subject == output)
    }

    @Test func strayAndUnrecordedFilesAreReported() throws {
        let (workspace, _) = try Self.storeWithRun()
        try AuditWorkspace.write(Array("junk".utf8), to: workspace.store + "/blobs/sha256/ab/notes.txt")
        let bytes = AuditWorkspace.pngSignature + Array("never recorded".utf8)
        let digest = try workspace.succeed(["blob", "hash", try Self.file(bytes, workspace)], store: nil)
            .split(separator: " ")[0]
        try AuditWorkspace.write(bytes, to: workspace.blobPath(String(digest)))
        let found = try Self.problems(workspace)
        #expect(found.map(\.kind).sorted() == ["stray", "unrecorded"])
        #expect(found.contains { $0.kind == "stray" && $0.subject == "blobs/sha256/ab/notes.txt" })
        #expect(found.contains { $0.kind == "unrecorded" && $0.subject == String(digest) })
    }

    static func file(_ bytes: [UInt8], _ workspace: AuditWorkspace) throws -> String {
        let path = workspace.root + "/loose-\(UUID().uuidString)"
        try AuditWorkspace.write(bytes, to: path)
        return path
    }

    @Test func anEditedRequestTextIsAKeyMismatch() throws {
        let (workspace, links) = try Self.storeWithRun()
        let key = links[2]["key"] as! String
        try workspace.execute(
            "UPDATE generations SET request = replace(request, 'scene', 'Scene') WHERE key = '\(key)'")
        let found = try Self.problems(workspace)
        #expect(found.map(\.kind) == ["key_mismatch"])
        #expect(found.first?.subject == key)
    }

    @Test func aDanglingReferenceIsReported() throws {
        let (workspace, links) = try Self.storeWithRun()
        let output = links[5]["output"] as! String
        // Remove the blob row and file of end/2's output; its generation and link still point at it.
        try workspace.execute("PRAGMA foreign_keys = OFF; DELETE FROM blobs WHERE digest = '\(output)'")
        try FileManager.default.removeItem(atPath: workspace.blobPath(output))
        let found = try Self.problems(workspace)
        #expect(Set(found.map(\.kind)) == ["dangling"])
        #expect(found.count == 2)  // generations.output and run_links.output
        #expect(found.allSatisfy { $0.subject == output })
    }

    @Test func textOutputListsProblemsAndExitsFour() throws {
        let (workspace, links) = try Self.storeWithRun()
        try FileManager.default.removeItem(atPath: workspace.blobPath(links[0]["output"] as! String))
        let result = try workspace.framechain(["verify"])
        #expect(result.status == 4)
        #expect(result.output.contains("missing  \(links[0]["output"] as! String)  recorded blob has no file"))
        #expect(result.output.contains("1 problem(s)"))
    }
}
