import Foundation

/// Removes the values of the API tokens in the environment from text that may be stored, printed or bundled.
///
/// The `replicate` and `openai` backends never put their token into a message, but a `command` backend's
/// program inherits the environment and may echo it (a `curl -v`, a traceback), and a provider may quote a
/// request back: every error recorded in the store, a manifest, a report or printed passes through here.
public struct SecretRedactor: Sendable {
    /// The environment variables whose values are secrets: every provider token (the backends' own
    /// `tokenVariable`s, which a test checks are all listed here) and the remote cache's token.
    ///
    /// The names live here, not in the backends, so that the executor, which records errors, can scrub
    /// them without knowing any provider.
    public static let variables = ["REPLICATE_API_TOKEN", "OPENAI_API_KEY", "FRAMECHAIN_REMOTE_TOKEN"]

    private let secrets: [String]

    /// Collects the secrets from `environment` (values shorter than 8 characters are ignored: too short to be a
    /// real token, and replacing them would mangle ordinary text).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let values: [String] = Self.variables.compactMap { environment[$0] }
        secrets = values.filter { $0.count >= 8 }.sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `<redacted>`.
    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }
}
