/// The three chains of a storyboard of N scenes (SPEC §1).
///
/// `ref/1` takes the initial image (or nothing); `ref/i` takes `ref/i-1`; `start/1` and `end/1` take `ref/1`;
/// `start/i` takes `start/i-1` and `end/i` takes `end/i-1`. Every node has at most one upstream node.
public struct ChainGraph: Sendable {
    /// The number of scenes.
    public let sceneCount: Int

    /// Creates the graph of `sceneCount` scenes.
    public init(sceneCount: Int) {
        precondition(sceneCount >= 1)
        self.sceneCount = sceneCount
    }

    /// Every node in plan order (ref/1, start/1, end/1, ref/2, …); an upstream node always comes first.
    public var nodes: [NodeID] {
        (1...sceneCount).flatMap { scene in Role.allCases.map { NodeID(role: $0, scene: scene) } }
    }

    /// The node's position in ``nodes``.
    public func position(of node: NodeID) -> Int {
        (node.scene - 1) * Role.allCases.count + Role.allCases.firstIndex(of: node.role)!
    }

    /// Whether the node exists in this graph.
    public func contains(_ node: NodeID) -> Bool { node.scene <= sceneCount }

    /// The node whose output is this node's reference image, or `nil` for `ref/1`.
    public func upstream(of node: NodeID) -> NodeID? {
        switch (node.role, node.scene) {
        case (.reference, 1): nil
        case (.start, 1), (.end, 1): NodeID(role: .reference, scene: 1)
        default: NodeID(role: node.role, scene: node.scene - 1)
        }
    }

    /// The nodes that take this node's output as their reference.
    public func downstream(of node: NodeID) -> [NodeID] {
        var result: [NodeID] = []
        if node.scene < sceneCount { result.append(NodeID(role: node.role, scene: node.scene + 1)) }
        if node == NodeID(role: .reference, scene: 1) {
            result += [NodeID(role: .start, scene: 1), NodeID(role: .end, scene: 1)]
        }
        return result
    }
}
