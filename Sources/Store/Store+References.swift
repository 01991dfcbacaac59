/// Resolving what a user types for a digest: the full `sha256:<64 hex>` form or, as Git allows, a unique prefix.
extension Store {
    /// The fewest hex digits a digest prefix may have.
    public static let minimumDigestPrefix = 8

    /// Resolves a digest a user named: `sha256:<64 hex>`, or a prefix of at least 8 hex digits of a stored blob,
    /// with or without `sha256:`. Hex digits are lowercase, as digests are written everywhere.
    ///
    /// A full digest is returned as it is, stored or not (the caller reports an unknown blob in its own words).
    /// - Parameter text: What the user typed.
    /// - Returns: The digest.
    /// - Throws: ``StoreError`` `invalidInput` for text that is not hex or is shorter than 8 digits, or a prefix
    ///   that matches several blobs (the message lists them); `notFound` for a prefix no stored blob has.
    public func resolveDigest(_ text: String) throws(StoreError) -> Digest {
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        guard !hex.isEmpty, hex.utf8.count <= 64, hex.utf8.allSatisfy({ Self.isHexDigit($0) }) else {
            throw StoreError(
                code: .invalidInput,
                message: "'\(text)' is not a digest: expected sha256:<64 lowercase hex> or a unique prefix of at "
                    + "least \(Self.minimumDigestPrefix) lowercase hex digits")
        }
        if hex.utf8.count == 64, let digest = Digest(hexString: hex) { return digest }
        guard hex.utf8.count >= Self.minimumDigestPrefix else {
            throw StoreError(
                code: .invalidInput,
                message: "'\(text)' is too short for a digest prefix: give at least \(Self.minimumDigestPrefix) "
                    + "hex digits")
        }
        let prefix = "sha256:" + hex
        let matches: [String] = try read { db in
            try db.rows("SELECT digest FROM blobs WHERE digest LIKE ? ORDER BY digest LIMIT 6", prefix + "%")
                .compactMap { $0.string(0) }
        }
        switch matches.count {
        case 0:
            throw StoreError(code: .notFound, message: "no stored blob has a digest starting with \(prefix)")
        case 1:
            guard let digest = Digest(parsing: matches[0]) else {
                throw StoreError(code: .integrity, message: "the blobs table holds a malformed digest \(matches[0])")
            }
            return digest
        default:
            let listed = matches.prefix(5).joined(separator: ", ") + (matches.count > 5 ? ", …" : "")
            throw StoreError(
                code: .invalidInput,
                message: "\(prefix) is ambiguous: it starts \(matches.count > 5 ? "more than 5" : "\(matches.count)") "
                    + "stored digests (\(listed)); give more digits")
        }
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
    }
}
