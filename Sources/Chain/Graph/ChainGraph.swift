/// The three chains of a storyboard of N scenes (SPEC §1), and its clips.
///
/// `ref/1` takes the initial image (or nothing); `ref/i` takes `ref/i-1`; `start/1` and `end/1` take `ref/1`;
/// `start/i` takes `start/i-1` and `end/i` takes `end/i-1`. Every frame has at most one upstream node. A clip
/// `clip/i` (for the scenes of the plan's clip stage) takes `start/i` and `end/i`, in that order, and nothing
/// takes a clip: the graph stays a DAG whose clips are its sinks.
public struct ChainGraph: Sendable {
    /// The number of scenes.
    public let sceneCount: Int
    /// The scenes (from 1) that have a clip.
    public let clipScenes: Set<Int>

    /// Creates the graph of `sceneCount` scenes, with clips for `clipScenes`.
    public init(sceneCount: Int, clipScenes: some Sequence<Int> = []) {
        precondition(sceneCount >= 1)
        self.sceneCount = sceneCount
        self.clipScenes = Set(clipScenes)
        precondition(self.clipScenes.allSatisfy { (1...sceneCount).contains($0) })
    }

    /// The graph of `plan`: its scenes and the clips of its clip stage.
    public init(plan: Plan) {
        self.init(sceneCount: plan.scenes.count, clipScenes: plan.clipScenes)
    }

    /// Every node in plan order (ref/1, start/1, end/1, clip/1, ref/2, …); an upstream node always comes first.
    public var nodes: [NodeID] {
        (1...sceneCount).flatMap { scene in
            let frames = Role.frames.map { NodeID(role: $0, scene: scene) }
            return clipScenes.contains(scene) ? frames + [NodeID(role: .clip, scene: scene)] : frames
        }
    }

    /// The node's position in plan order (the frames keep their positions of a plan without clips when there are
    /// none; with clips every scene takes four positions).
    public func position(of node: NodeID) -> Int {
        let stride = clipScenes.isEmpty ? Role.frames.count : Role.allCases.count
        return (node.scene - 1) * stride + Role.allCases.firstIndex(of: node.role)!
    }

    /// Whether the node exists in this graph.
    public func contains(_ node: NodeID) -> Bool {
        node.scene <= sceneCount && (node.role != .clip || clipScenes.contains(node.scene))
    }

    /// The frame whose output is this frame's reference image, or `nil` for `ref/1` (and for a clip, which has two:
    /// see ``upstreams(of:)``).
    public func upstream(of node: NodeID) -> NodeID? {
        switch (node.role, node.scene) {
        case (.reference, 1): nil
        case (.clip, _): nil
        case (.start, 1), (.end, 1): NodeID(role: .reference, scene: 1)
        default: NodeID(role: node.role, scene: node.scene - 1)
        }
    }

    /// The nodes whose outputs are this node's inputs, in request order: `[start/i, end/i]` for `clip/i`.
    public func upstreams(of node: NodeID) -> [NodeID] {
        if node.role == .clip {
            return [NodeID(role: .start, scene: node.scene), NodeID(role: .end, scene: node.scene)]
        }
        return upstream(of: node).map { [$0] } ?? []
    }

    /// The nodes that take this node's output as an input.
    public func downstream(of node: NodeID) -> [NodeID] {
        var result: [NodeID] = []
        if node.role == .clip { return result }
        if node.scene < sceneCount { result.append(NodeID(role: node.role, scene: node.scene + 1)) }
        if node == NodeID(role: .reference, scene: 1) {
            result += [NodeID(role: .start, scene: 1), NodeID(role: .end, scene: 1)]
        }
        if node.role != .reference, clipScenes.contains(node.scene) {
            result.append(NodeID(role: .clip, scene: node.scene))
        }
        return result
    }
}
