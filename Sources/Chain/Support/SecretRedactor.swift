import Foundation

/// Removes the values of the API tokens in the environment from text that may be stored, printed or bundled.
///
/// The `replicate` and `openai` backends never put their token into a message, but a `command` backend's
/// program inherits the environment and may echo it (a `curl -v`, a traceback), and a provider may quote a
/// request back: every error recorded in the store, a manifest, a report or printed passes through here.
public struct SecretRedactor: Sendable {
    /// The environment variables whose values are secrets.
    public static let variables = [ReplicateGenerator.tokenVariable, OpenAIGenerator.tokenVariable]

    private let secrets: [String]

    /// Collects the secrets from `environment` (values shorter than 8 characters are ignored: too short to be a
    /// real token, and replacing them would mangle ordinary text).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        secrets = Self.variables.compactMap { environment[$0] }.filter { $0.count >= 8 }
            .sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `<redacted>`.
    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }
}
