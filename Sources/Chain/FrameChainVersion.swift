/// framechain's release version, as printed by `framechain --version`.
public enum FrameChainVersion {
    /// The version string.
    public static let current = "0.1.0"
}
