/// A strict parser for JSON texts (RFC 8259) restricted to I-JSON (RFC 7493), as RFC 8785 requires.
///
/// The parser accepts exactly the RFC 8259 grammar in UTF-8 and additionally rejects what I-JSON
/// forbids or what cannot be canonicalized:
/// - duplicate object member names (compared as Swift strings, so canonically equivalent names such as
///   a precomposed and a decomposed `é` also count as duplicates, since ``JSONValue`` could not hold both);
/// - lone UTF-16 surrogates in `\u` escapes, and invalid UTF-8 anywhere;
/// - numbers that overflow a `Double` (`1e400`);
/// - a leading byte order mark;
/// - nesting deeper than ``maximumDepth`` containers.
///
/// The parser is iterative, so deep input can never overflow the stack. Numbers are converted with
/// `Double(String)` after their literal has been checked against the grammar.
public enum JSONParser {
    /// The deepest nesting of arrays and objects accepted by ``parse(_:maximumDepth:)`` by default.
    public static let maximumDepth = 512

    /// Parses a complete JSON text.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 encoded text.
    ///   - maximumDepth: The deepest nesting of arrays and objects to accept.
    /// - Returns: The parsed value.
    /// - Throws: ``JSONSyntaxError`` naming the line and column of the first problem.
    public static func parse(_ bytes: [UInt8], maximumDepth: Int = maximumDepth) throws(JSONSyntaxError) -> JSONValue {
        var parser = Parser(bytes: bytes, maximumDepth: maximumDepth)
        return try parser.parseDocument()
    }
}

// MARK: - Parser

/// The parser state: the input and the current byte offset.
private struct Parser {
    /// An array or object that is open while its elements are parsed.
    private struct Frame {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [String: JSONValue] = [:]
        /// The name of the member whose value is being parsed (objects only).
        var key = ""
    }

    let bytes: [UInt8]
    let maximumDepth: Int
    var index = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw error("a byte order mark (U+FEFF) is not allowed; save the file as UTF-8 without BOM", at: 0)
        }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw error("expected end of input after the JSON value, found \(found())")
        }
        return value
    }

    /// Parses one value, iteratively, with an explicit stack of open containers.
    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        var stack: [Frame] = []
        nextValue: while true {
            // A value starts at `index` (white space already skipped).
            var value: JSONValue
            guard index < bytes.count else { throw error("expected a value, found end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[index] == UInt8(ascii: "{")
                guard stack.count < maximumDepth else {
                    throw error("arrays and objects are nested deeper than \(maximumDepth) levels")
                }
                index += 1
                skipWhitespace()
                if isObject && peek == UInt8(ascii: "}") {
                    index += 1
                    value = .object([:])
                } else if !isObject && peek == UInt8(ascii: "]") {
                    index += 1
                    value = .array([])
                } else {
                    var frame = Frame(isObject: isObject)
                    if isObject {
                        frame.key = try parseKey(afterComma: false, in: frame)
                    }
                    stack.append(frame)
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            default:
                value = try parseLiteral()
            }

            // Hand the value to the innermost open container, closing every container that ends here.
            while let last = stack.indices.last {
                skipWhitespace()
                if stack[last].isObject {
                    stack[last].members[stack[last].key] = value
                    if peek == UInt8(ascii: ",") {
                        index += 1
                        skipWhitespace()
                        stack[last].key = try parseKey(afterComma: true, in: stack[last])
                        continue nextValue
                    }
                    guard peek == UInt8(ascii: "}") else {
                        throw error("expected ',' or '}' after object member, found \(found())")
                    }
                    index += 1
                    value = .object(stack.removeLast().members)
                } else {
                    stack[last].elements.append(value)
                    if peek == UInt8(ascii: ",") {
                        index += 1
                        skipWhitespace()
                        continue nextValue
                    }
                    guard peek == UInt8(ascii: "]") else {
                        throw error("expected ',' or ']' after array element, found \(found())")
                    }
                    index += 1
                    value = .array(stack.removeLast().elements)
                }
            }
            return value
        }
    }

    /// Parses a member name and the `:` after it, leaving `index` at the member's value.
    private mutating func parseKey(afterComma: Bool, in frame: Frame) throws(JSONSyntaxError) -> String {
        guard peek == UInt8(ascii: "\"") else {
            if afterComma {
                throw error("expected a string key after ',' in object, found \(found())")
            }
            throw error("expected a string key or '}', found \(found())")
        }
        let start = index
        let key = try parseString()
        if frame.members[key] != nil {
            throw error("duplicate object key \(CanonicalJSON.string(.string(key)))", at: start)
        }
        skipWhitespace()
        guard peek == UInt8(ascii: ":") else {
            throw error("expected ':' after object key, found \(found())")
        }
        index += 1
        skipWhitespace()
        return key
    }

    // MARK: - Scalars

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw error("unescaped control character \(Self.scalarName(UInt32(byte))) in string")
            case 0x20..<0x80:
                utf8.append(byte)
                index += 1
            default:
                let length = try validateUTF8Sequence()
                utf8.append(contentsOf: bytes[index..<index + length])
                index += length
            }
        }
    }

    /// Parses one escape sequence starting at its backslash and appends its UTF-8 encoding.
    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONSyntaxError) {
        let start = index
        guard index + 1 < bytes.count else { throw error("unterminated escape sequence", at: start) }
        let letter = bytes[index + 1]
        index += 2
        let simple: UInt8? =
            switch letter {
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            case UInt8(ascii: "/"): UInt8(ascii: "/")
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            utf8.append(simple)
            return
        }
        guard letter == UInt8(ascii: "u") else {
            throw error("invalid escape sequence '\\\(Self.printable(letter))'", at: start)
        }
        let unit = try parseHexQuad(escapeStart: start)
        let scalarValue: UInt32
        switch unit {
        case 0xD800...0xDBFF:
            let lowStart = index
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else {
                throw error("unpaired high surrogate \(Self.escapeName(unit)) in string", at: start)
            }
            index += 2
            let low = try parseHexQuad(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("unpaired high surrogate \(Self.escapeName(unit)) in string", at: start)
            }
            scalarValue = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        case 0xDC00...0xDFFF:
            throw error("unpaired low surrogate \(Self.escapeName(unit)) in string", at: start)
        default:
            scalarValue = unit
        }
        // Every value outside the surrogate range is a valid scalar.
        utf8.append(contentsOf: String(Unicode.Scalar(scalarValue)!).utf8)
    }

    /// Parses the four hexadecimal digits of a `\u` escape.
    private mutating func parseHexQuad(escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = Self.hexValue(bytes[index]) else {
                throw error("expected 4 hexadecimal digits after '\\u'", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Checks the multi-byte UTF-8 sequence at `index` and returns its length.
    private func validateUTF8Sequence() throws(JSONSyntaxError) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8 byte \(Self.hexByte(lead))")
        }
        for offset in 1..<length {
            let position = index + offset
            let range = offset == 1 ? secondRange : 0x80...0xBF
            guard position < bytes.count, range.contains(bytes[position]) else {
                guard position < bytes.count else {
                    throw error("invalid UTF-8 sequence (truncated at end of input)", at: position)
                }
                throw error("invalid UTF-8 sequence (unexpected byte \(Self.hexByte(bytes[position])))", at: position)
            }
        }
        return length
    }

    /// Parses a number, checking the RFC 8259 grammar before converting it.
    private mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
            if let next = peek, Self.isDigit(next) {
                throw error("leading zeros are not allowed in numbers", at: start)
            }
        } else if let next = peek, Self.isDigit(next) {
            skipDigits()
        } else {
            throw error("expected a digit after '-', found \(found())")
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let next = peek, Self.isDigit(next) else {
                throw error("expected a digit after the decimal point, found \(found())")
            }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let next = peek, Self.isDigit(next) else {
                throw error("expected a digit in the exponent, found \(found())")
            }
            skipDigits()
        }
        let literal = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = Double(literal), number.isFinite else {
            throw error("number \(literal) is out of range (larger than the largest double)", at: start)
        }
        return number
    }

    /// Parses `true`, `false` or `null`; anything else is reported as a whole word where possible.
    private mutating func parseLiteral() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        while let byte = peek, Self.isWordByte(byte) { index += 1 }
        let word = String(decoding: bytes[start..<index], as: UTF8.self)
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        case "": throw error("expected a value, found \(found())")
        default: throw error("expected a value, found '\(word)'", at: start)
        }
    }

    // MARK: - Helpers

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    private mutating func skipDigits() {
        while let byte = peek, Self.isDigit(byte) { index += 1 }
    }

    /// Describes what is at `index`, for "found …" in messages.
    private func found() -> String {
        guard index < bytes.count else { return "end of input" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Self.printable(byte))'" }
        if byte < 0x80 { return Self.scalarName(UInt32(byte)) }
        if (try? validateUTF8Sequence()) != nil {
            let scalar = String(decoding: bytes[index...].prefix(4), as: UTF8.self).unicodeScalars.first!
            return Self.scalarName(scalar.value)
        }
        return "invalid UTF-8 byte \(Self.hexByte(byte))"
    }

    /// An error at `offset` (the current position by default), with its line and column.
    private func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = offset ?? index
        var line = 1
        var column = 1
        var position = 0
        while position < offset && position < bytes.count {
            let byte = bytes[position]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte == 0x0D {
                if position + 1 < bytes.count && bytes[position + 1] == 0x0A {
                    // The LF that follows ends the line.
                } else {
                    line += 1
                    column = 1
                }
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            position += 1
        }
        return JSONSyntaxError(message, line: line, column: column, offset: offset)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `U+000A`-style name of a scalar.
    private static func scalarName(_ value: UInt32) -> String { "U+" + hex(value, width: 4) }

    /// `\uD83D`-style spelling of a UTF-16 code unit.
    private static func escapeName(_ unit: UInt32) -> String { "\\u" + hex(unit, width: 4) }

    /// `0xFF`-style spelling of a byte.
    private static func hexByte(_ byte: UInt8) -> String { "0x" + hex(UInt32(byte), width: 2) }

    /// A byte as text when it is printable ASCII, else its scalar name.
    private static func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : scalarName(UInt32(byte))
    }
}
