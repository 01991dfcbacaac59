/// A SHA-256 content digest, written `sha256:<64 lowercase hex>` (OCI style) everywhere.
///
/// A `Digest` names a blob in the store, a generation's key, and every lineage edge.
/// Its ``description`` is the text form; ``init(parsing:)`` accepts exactly that form and nothing else,
/// so a digest read from a user, a bundle or the database can never be path-like.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 raw bytes of the hash.
    public let bytes: [UInt8]

    /// The algorithm prefix used in the text form.
    public static let algorithm = "sha256"

    /// Creates a digest from its 32 raw bytes, or returns `nil` for any other length.
    ///
    /// - Parameter bytes: The raw hash bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Parses the text form `sha256:<64 lowercase hex>`.
    ///
    /// Upper-case hex, a missing or different prefix, a wrong length and any surrounding white space
    /// are rejected.
    ///
    /// - Parameter text: The text to parse.
    public init?(parsing text: some StringProtocol) {
        let prefix = "sha256:"
        guard text.hasPrefix(prefix) else { return nil }
        self.init(hexString: text.dropFirst(prefix.count))
    }

    /// Parses 64 lowercase hexadecimal digits (without the `sha256:` prefix).
    ///
    /// - Parameter hexString: The hex digits.
    public init?(hexString: some StringProtocol) {
        let utf8 = Array(hexString.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in 0..<32 {
            guard let high = Self.nibble(utf8[2 * index]), let low = Self.nibble(utf8[2 * index + 1]) else {
                return nil
            }
            bytes[index] = high << 4 | low
        }
        self.bytes = bytes
    }

    /// The 64 lowercase hexadecimal digits of the hash.
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The text form, `sha256:<64 lowercase hex>`.
    public var description: String { "sha256:" + hexString }

    public static func < (lhs: Digest, rhs: Digest) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
