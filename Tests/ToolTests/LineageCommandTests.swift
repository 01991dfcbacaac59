import Foundation
import Testing

@Suite struct LineageCommandTests {
    @Test func lineageOfEndNListsTheEndChainRefOneAndTheInitialImage() throws {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(scenes: 3)
        let run = try workspace.json(["run", plan])
        let links = try #require(run["links"] as? [[String: Any]])
        var outputs: [String: String] = [:]
        var keys: [String: String] = [:]
        for link in links {
            outputs[link["node"] as! String] = link["output"] as? String
            keys[link["node"] as! String] = link["key"] as? String
        }
        let hashed = try workspace.succeed(["blob", "hash", workspace.root + "/images/bottle.png"], store: nil)
        let initial = String(hashed.split(separator: " ")[0])

        let byRun =
            try JSONSerialization.jsonObject(
                with: Data(try workspace.succeed(["lineage", "latest:end/3", "--format", "json"]).utf8))
            as! [String: Any]
        #expect(byRun["target"] as? String == outputs["end/3"])
        let chain = try #require(byRun["chain"] as? [[String: Any]])
        #expect(chain.map { $0["node"] as? String } == ["end/3", "end/2", "end/1", "ref/1", "initial"])
        #expect(
            chain.map { $0["digest"] as? String }
                == [outputs["end/3"], outputs["end/2"], outputs["end/1"], outputs["ref/1"], initial])
        #expect(
            chain.map { $0["key"] as? String } == [keys["end/3"], keys["end/2"], keys["end/1"], keys["ref/1"], nil])
        #expect(chain[0]["inputs"] as? [String] == [outputs["end/2"]!])
        #expect((chain[0]["prompt"] as? String)?.contains("end of scene 3") == true)
        #expect(chain[3]["inputs"] as? [String] == [initial])

        // By digest, the nodes are named after the latest link that output each image.
        let byDigest =
            try JSONSerialization.jsonObject(
                with: Data(try workspace.succeed(["lineage", outputs["end/3"]!, "--format", "json"]).utf8))
            as! [String: Any]
        #expect(
            (byDigest["chain"] as? [[String: Any]])?.map { $0["node"] as? String }
                == chain.map { $0["node"] as? String })

        // An image file is hashed.
        let out = workspace.root + "/out"
        try workspace.succeed(["replay", "latest", "--out", out])
        let byFile = try workspace.succeed(["lineage", out + "/end_03.png"])
        #expect(byFile.contains("lineage of \(outputs["end/3"]!)"))
        #expect(byFile.contains("end of scene 3"))
    }

    /// A store with a two-scene run whose prompts need quoting in DOT, and the DOT lineage of `start/2`.
    static func dotLineage() throws -> (AuditWorkspace, String) {
        let workspace = try AuditWorkspace()
        let plan = try workspace.writePlan(scenes: 2, prompt: { "\($1) \"quoted\" \\ scene \($0)" })
        try workspace.succeed(["run", plan])
        return (workspace, try workspace.succeed(["lineage", "latest:start/2", "--format", "dot"]))
    }

    @Test func dotOutputHasOneEdgePerInput() throws {
        let (_, dot) = try Self.dotLineage()
        #expect(dot.hasPrefix("digraph lineage {"))
        #expect(dot.hasSuffix("}\n"))
        // start/2 <- start/1 <- ref/1 <- initial.
        #expect(dot.components(separatedBy: " -> ").count - 1 == 3)
        #expect(dot.contains("label=\"start/2\\n"))
        #expect(dot.contains("label=\"initial\\n"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dot"), "Graphviz is not installed"))
    func dotOutputRendersWithGraphviz() throws {
        let (workspace, dot) = try Self.dotLineage()
        try AuditWorkspace.write(Array(dot.utf8), to: workspace.root + "/lineage.dot")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dot")
        process.arguments = ["-Tsvg", "-o", workspace.root + "/lineage.svg", workspace.root + "/lineage.dot"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let svg = String(decoding: try AuditWorkspace.read(workspace.root + "/lineage.svg"), as: UTF8.self)
        #expect(svg.contains("start/2"))
        #expect(svg.components(separatedBy: "class=\"edge\"").count - 1 == 3)
    }

    @Test func badTargetsExitWithStatusTwo() throws {
        let workspace = try AuditWorkspace()
        try workspace.succeed(["run", try workspace.writePlan(scenes: 1)])
        let malformed = try workspace.framechain(["lineage", "sha256:../../etc/passwd"])
        #expect(malformed.status == 2)
        #expect(malformed.error.contains("is not a digest"))
        let unknownNode = try workspace.framechain(["lineage", "latest:end/9"])
        #expect(unknownNode.status == 2)
        #expect(unknownNode.error.contains("has no link end/9"))
    }
}
