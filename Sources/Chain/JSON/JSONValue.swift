/// A JSON value as parsed from a plan or built for a request.
///
/// Numbers are IEEE-754 doubles, as RFC 8785 (JCS) requires; objects are unordered (their canonical
/// order is defined by ``CanonicalJSON``).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}
