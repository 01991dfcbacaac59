/// A plan read from disk: the validated plan, the exact bytes it was read from, and its resolved
/// initial reference image.
public struct LoadedPlan: Sendable {
    /// The validated plan.
    public let plan: Plan
    /// The exact bytes of the plan file, as stored with every run.
    public let bytes: [UInt8]
    /// The plan file's path, as given to ``PlanLoader/load(contentsOf:)``.
    public let path: String
    /// The initial reference image's path, resolved relative to the plan file's directory (absolute paths
    /// are kept as written); `nil` when the plan has no initial reference.
    public let initialReferencePath: String?

    /// Creates a loaded plan.
    ///
    /// - Parameters:
    ///   - plan: The validated plan.
    ///   - bytes: The plan file's bytes.
    ///   - path: The plan file's path.
    ///   - initialReferencePath: The resolved initial reference path, if any.
    public init(plan: Plan, bytes: [UInt8], path: String, initialReferencePath: String?) {
        self.plan = plan
        self.bytes = bytes
        self.path = path
        self.initialReferencePath = initialReferencePath
    }
}
