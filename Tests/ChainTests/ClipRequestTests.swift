import Formats
import Foundation
import FrameChainTestKit
import Store
import Testing

@testable import Chain

/// The clip worked example of `docs/KEYS.md` §6: the request of `clip/2` in `fixtures/plans/perfume-ad-video.json`.
///
/// The expected canonical text and key were computed independently of this code, with Python's
/// `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` and `sha256sum`.
@Suite struct ClipRequestTests {
    static let startTwoOutput = "sha256:e1937975c5de48a3082cccc97e48efee7ea0008d5175a8aafc4b91941d0ac3de"
    static let endTwoOutput = "sha256:19b7d41883df1592a36b92d51d943d7505a40205a09c932c9ab8bbee86d5854c"

    static let expectedCanonicalText =
        #"{"format":"framechain.request/v1","generator":{"backend":"ffmpeg","model":"crossfade-v1"},"#
        + #""inputs":["sha256:e1937975c5de48a3082cccc97e48efee7ea0008d5175a8aafc4b91941d0ac3de","#
        + #""sha256:19b7d41883df1592a36b92d51d943d7505a40205a09c932c9ab8bbee86d5854c"],"#
        + #""params":{"duration":2,"fps":12,"height":512,"width":288},"#
        + #""prompt":"The drop lands and the ripple spreads while the camera drifts to the right. "#
        + #"Keep the subject identical to this description: a faceted glass perfume bottle with a gold cap. "#
        + #"Style: cinematic product photography. Color palette: deep navy, gold accents. "#
        + #"Lighting: low-key, single rim light. Mood: mysterious, luxurious. "#
        + #"Consistency guideline: Reflections stay subtle; the bottle remains the brightest object in frame. "#
        + #"Begin exactly on the first frame and end exactly on the last frame.","take":1}"#

    static let expectedKey = "sha256:51a9fecb2bfd54d4faaebc97b4b5136f3545af726885348959f7a1aec5037f49"

    private func plan() throws -> Plan {
        let path = TestSupport.fixtures.appendingPathComponent("plans/perfume-ad-video.json").path
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        return try PlanLoader.decode(bytes, file: path)
    }

    @Test func theClipWorkedExampleHasTheDocumentedTextAndKey() throws {
        let plan = try plan()
        let clips = try #require(plan.clips)
        #expect(SHA256.hash(data: Array("start/2 example output".utf8)).description == Self.startTwoOutput)
        #expect(SHA256.hash(data: Array("end/2 example output".utf8)).description == Self.endTwoOutput)
        let request = GenerationRequest(
            backend: clips.generator.backend, model: clips.generator.model, params: clips.generator.params,
            prompt: PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 1, role: .clip),
            inputs: [
                try #require(Digest(parsing: Self.startTwoOutput)), try #require(Digest(parsing: Self.endTwoOutput)),
            ],
            take: plan.scenes[1].take(for: .clip))
        #expect(Array(request.canonicalText.utf8) == Array(Self.expectedCanonicalText.utf8))
        #expect(request.key.description == Self.expectedKey)
    }

    @Test func theGraphHasAClipPerSceneAfterItsTwoFrames() throws {
        let graph = ChainGraph(plan: try plan())
        #expect(graph.nodes.count == 16)
        let clip = NodeID(role: .clip, scene: 3)
        #expect(graph.upstreams(of: clip) == [NodeID(role: .start, scene: 3), NodeID(role: .end, scene: 3)])
        #expect(graph.downstream(of: NodeID(role: .start, scene: 3)) == [NodeID(role: .start, scene: 4), clip])
        #expect(graph.downstream(of: NodeID(role: .end, scene: 4)) == [NodeID(role: .clip, scene: 4)])
        #expect(graph.downstream(of: clip).isEmpty)
        // Every node comes after its inputs: the schedule is a DAG in plan order.
        let order = Dictionary(uniqueKeysWithValues: graph.nodes.enumerated().map { ($1, $0) })
        for node in graph.nodes {
            for upstream in graph.upstreams(of: node) { #expect(order[upstream]! < order[node]!) }
        }
        #expect(Set(graph.nodes.map { graph.position(of: $0) }).count == 16)
    }

    @Test func aClipStageCanNameSomeScenes() throws {
        let graph = ChainGraph(sceneCount: 3, clipScenes: [2])
        #expect(
            graph.nodes.map(\.description) == [
                "ref/1", "start/1", "end/1", "ref/2", "start/2", "end/2", "clip/2", "ref/3", "start/3", "end/3",
            ])
        #expect(!graph.contains(NodeID(role: .clip, scene: 1)))
        #expect(graph.downstream(of: NodeID(role: .start, scene: 1)) == [NodeID(role: .start, scene: 2)])
    }
}
