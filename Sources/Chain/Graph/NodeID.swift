/// A node of the chain graph: `ref/<i>`, `start/<i>` or `end/<i>`, with scenes counted from 1.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The chain the node belongs to.
    public let role: Role
    /// The scene number, from 1.
    public let scene: Int

    /// Creates a node id.
    public init(role: Role, scene: Int) {
        self.role = role
        self.scene = scene
    }

    /// Parses `ref/3`, `start/1`, `end/12`.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let role = Role(nodePrefix: String(parts[0])),
            parts[1].allSatisfy(\.isASCII), let scene = Int(parts[1]), scene >= 1, !parts[1].hasPrefix("0")
        else { return nil }
        self.init(role: role, scene: scene)
    }

    /// The text form, e.g. `start/2`.
    public var description: String { "\(role.nodePrefix)/\(scene)" }

    /// The output file name: `ref_01.png`, `start_12.jpg` (two digits at least).
    public func fileName(extension fileExtension: String) -> String {
        let number = scene < 10 ? "0\(scene)" : "\(scene)"
        return "\(role.nodePrefix)_\(number).\(fileExtension)"
    }

    /// Plan order: scene by scene, and within a scene ref, start, end.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        (lhs.scene, lhs.role) < (rhs.scene, rhs.role)
    }
}
