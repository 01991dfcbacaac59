import Foundation

/// External programs some tests need (ffmpeg, chromium): found on `PATH`. Outside CI a test whose tool is missing
/// is skipped; with `CI=true` it runs and fails, so CI can never silently skip it.
public enum ExternalTools {
    /// Whether the environment says this is CI (`CI=true`).
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// The path of `name` on `PATH`, if any.
    public static func path(of name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Whether a test needing `names` should run: they are all installed, or this is CI (where it then fails).
    public static func available(_ names: String...) -> Bool {
        isCI || names.allSatisfy { path(of: $0) != nil }
    }

    /// Runs `tool arguments…` (a name on `PATH`, or a path) to completion and returns its exit status and standard output.
    ///
    /// - Throws: When the tool is not installed (the message says which), or cannot be started.
    public static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: [UInt8]) {
        guard let executable = tool.contains("/") ? tool : path(of: tool) else {
            throw MissingTool(name: tool)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, [UInt8](output))
    }

    /// A tool a test needs is not on `PATH`.
    public struct MissingTool: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name) is not installed (.ci/run installs it with apt-get)" }
    }
}
