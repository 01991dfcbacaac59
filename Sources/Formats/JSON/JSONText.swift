/// Human-readable JSON output: keys sorted as in RFC 8785, two-space indentation, strings and numbers
/// written exactly as ``CanonicalJSON`` writes them. Used for `--json` outputs and `manifest.json`.
public enum JSONText {
    /// The value as indented JSON text (no trailing newline).
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += indent + "  "
                write(item, indent: indent + "  ", into: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (index, key) in keys.enumerated() {
                out += indent + "  " + CanonicalJSON.string(.string(key)) + ": "
                write(members[key]!, indent: indent + "  ", into: &out)
                out += index == keys.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            out += CanonicalJSON.string(value)
        }
    }
}
