/// A JSON value as parsed from a plan or built for a request.
///
/// Numbers are IEEE-754 doubles, as RFC 8785 (JCS) requires; objects are unordered (their canonical
/// order is defined by ``CanonicalJSON``).
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number (an IEEE-754 double).
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; keys are unique.
    case object([String: JSONValue])
}
