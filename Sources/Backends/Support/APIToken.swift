import Chain
import Foundation

/// A provider credential that never prints itself.
///
/// Its description, debug description and mirror show `<redacted>`, so a token cannot reach a log
/// or an error message by accident; ``redacting(_:)`` scrubs it from provider-supplied text as a
/// second line of defence.
struct APIToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret value; only ever put into an `Authorization` header.
    let value: String

    init?(_ value: String?) {
        guard let value, !value.isEmpty else { return nil }
        self.value = value
    }

    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
    var customMirror: Mirror { Mirror(self, children: [:]) }

    /// The `Authorization` header.
    var authorization: (String, String) { ("Authorization", "Bearer " + value) }

    /// `error` with every occurrence of the token replaced by `<redacted>`.
    func redacting(_ error: GeneratorError) -> GeneratorError {
        guard error.message.contains(value) else { return error }
        var scrubbed = error
        scrubbed.message = error.message.replacingOccurrences(of: value, with: "<redacted>")
        return scrubbed
    }
}
