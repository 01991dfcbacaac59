/// The JSON Canonicalization Scheme (JCS, RFC 8785): the one byte sequence that every conforming
/// implementation produces for a JSON value.
///
/// The rules, all implemented here:
/// - no white space between tokens;
/// - object members sorted by their names compared as arrays of UTF-16 code units;
/// - strings escaped minimally: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other characters below U+0020
///   as `\u00xx` with lowercase hex, and everything else (including `/`, non-ASCII, U+2028 and U+2029)
///   written literally in UTF-8;
/// - numbers written as ECMAScript's `Number.prototype.toString` writes them (ECMA-262,
///   Number::toString): the shortest digits that round-trip, with an exponent only below 1e-6 or
///   from 1e21 on, and `-0` written as `0`.
///
/// ``JSONValue`` numbers are always finite when they come from ``JSONParser``; a NaN or an infinity
/// built by hand is a programming error and stops the program, as RFC 8785 forbids them.
///
/// Related specification: <https://www.rfc-editor.org/rfc/rfc8785>
public enum CanonicalJSON {
    /// Returns the canonical text of a value.
    ///
    /// - Parameter value: The value to serialize.
    /// - Returns: The RFC 8785 canonical JSON text.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Returns the canonical text of a value as UTF-8 bytes: the exact bytes to hash.
    ///
    /// - Parameter value: The value to serialize.
    /// - Returns: The RFC 8785 canonical JSON text, UTF-8 encoded.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        write(value, to: &output)
        return output
    }

    // MARK: - Writing

    private static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            output.append(contentsOf: numberText(number).utf8)
        case .string(let text):
            writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let sorted = members.map { (utf16: Array($0.key.utf16), key: $0.key, value: $0.value) }
                .sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (position, member) in sorted.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Writes a string literal with exactly the escapes RFC 8785 §3.2.2.2 prescribes.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Runs of bytes that need no escape (nearly every byte of a prompt) are appended at once.
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default:
                    output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    output.append(hexDigits[Int(byte >> 4)])
                    output.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    // MARK: - Numbers

    /// Writes a finite double as ECMAScript's `Number.prototype.toString` does (ECMA-262, Number::toString).
    ///
    /// The digits come from Swift's `description`, which is the shortest decimal that round-trips and, among
    /// those, the closest to the exact binary value (the same digits ECMA-262 asks for); only their layout
    /// differs, and is redone here.
    ///
    /// - Parameter number: A finite double.
    /// - Returns: The ECMAScript text, e.g. `1e+21`, `0.000001`, `1e-7`, `5e-324`, `0` for `-0`.
    package static func numberText(_ number: Double) -> String {
        precondition(number.isFinite, "RFC 8785 has no representation for NaN or infinity")
        if number == 0 { return "0" }
        // Integers below 2^53 (sizes, takes, seeds: most numbers in a request) print as themselves.
        if number.rounded(.towardZero) == number, abs(number) < 9_007_199_254_740_992 { return String(Int64(number)) }
        if number < 0 { return "-" + numberText(-number) }

        // Split Swift's shortest round-trip text ("1.2345e-07", "100.0", "5e-324") into digits and exponent.
        let text = number.description
        let mantissa: Substring
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            // Swift writes exponents like "+21" or "-07".
            exponent = Int(text[text.index(after: e)...].drop(while: { $0 == "+" }))!
        } else {
            mantissa = text[...]
        }
        let integerPart = mantissa.prefix(while: { $0 != "." })
        let fractionPart = mantissa.dropFirst(integerPart.count + (integerPart.count < mantissa.count ? 1 : 0))
        var digits = Array((integerPart + fractionPart).utf8)
        // value = 0.d1 d2 … dk × 10^n (ECMA-262's k and n).
        var n = integerPart.count + exponent
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count
        let digitText = String(decoding: digits, as: UTF8.self)

        if k <= n && n <= 21 {
            return digitText + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            return String(digitText.prefix(n)) + "." + String(digitText.dropFirst(n))
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digitText
        }
        let e = n - 1
        let exponentText = (e < 0 ? "-" : "+") + String(abs(e))
        if k == 1 {
            return digitText + "e" + exponentText
        }
        return String(digitText.prefix(1)) + "." + String(digitText.dropFirst()) + "e" + exponentText
    }
}
