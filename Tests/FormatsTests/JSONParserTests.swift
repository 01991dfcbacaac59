import FrameChainTestKit
import Testing

@testable import Formats

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    // MARK: - Valid input

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" { "a" : [1, -2.5e3, 0.5E-1, true, false, null, "x"], "b": {}, "c": [] } "#)
        #expect(
            value
                == .object([
                    "a": .array([
                        .number(1), .number(-2500), .number(0.05), .bool(true), .bool(false), .null, .string("x"),
                    ]),
                    "b": .object([:]),
                    "c": .array([]),
                ]))
    }

    @Test func parsesScalarsAtTheTopLevel() throws {
        #expect(try parse("42") == .number(42))
        #expect(try parse("\"\"") == .string(""))
        #expect(try parse("null") == .null)
        #expect(try parse("\n\t true \r\n") == .bool(true))
    }

    @Test func decodesEveryEscape() throws {
        let value = try parse(#""\"\\\/\b\f\n\r\t\u0000\u00e9\u20AC\ud83d\ude00""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\t\u{0}\u{E9}\u{20AC}\u{1F600}"))
    }

    @Test func keepsRawUTF8AndSpecialSeparators() throws {
        let value = try parse("\"é € 😀 \u{2028}\u{2029} \u{7F}\"")
        #expect(value == .string("é € 😀 \u{2028}\u{2029} \u{7F}"))
    }

    @Test func keepsTheSignOfMinusZeroAndUnderflowsToZero() throws {
        guard case .number(let minusZero) = try parse("-0") else {
            Issue.record("not a number")
            return
        }
        #expect(minusZero == 0 && minusZero.sign == .minus)
        #expect(try parse("1e-400") == .number(0))
        #expect(try parse("1.7976931348623157e308") == .number(.greatestFiniteMagnitude))
        #expect(try parse("-0.0e+0") == .number(0))
    }

    @Test func acceptsNestingUpToTheLimit() throws {
        let depth = JSONParser.maximumDepth
        let text = String(repeating: "[", count: depth - 1) + "{}" + String(repeating: "]", count: depth - 1)
        var value = try parse(text)
        var levels = 1
        while case .array(let elements) = value {
            value = elements[0]
            levels += 1
        }
        #expect(levels == depth)
    }

    // MARK: - Errors

    static let errors: [(text: String, line: Int, column: Int, message: String)] = [
        ("", 1, 1, "expected a value, found end of input"),
        ("   ", 1, 4, "expected a value, found end of input"),
        (#"{"a":1,}"#, 1, 8, "expected a string key after ',' in object, found '}'"),
        (#"{a:1}"#, 1, 2, "expected a string key or '}', found 'a'"),
        (#"{"a" 1}"#, 1, 6, "expected ':' after object key, found '1'"),
        (#"{"a":1 "b":2}"#, 1, 8, #"expected ',' or '}' after object member, found '"'"#),
        (#"{"a":1"#, 1, 7, "expected ',' or '}' after object member, found end of input"),
        ("[1,2,]", 1, 6, "expected a value, found ']'"),
        ("[1 2]", 1, 4, "expected ',' or ']' after array element, found '2'"),
        (#"{"a":1,"b":{"a":2},"a":3}"#, 1, 20, #"duplicate object key "a""#),
        (#""abc"#, 1, 1, "unterminated string"),
        ("\"a\nb\"", 1, 3, "unescaped control character U+000A in string"),
        ("\"a\tb\"", 1, 3, "unescaped control character U+0009 in string"),
        (#""\x""#, 1, 2, #"invalid escape sequence '\x'"#),
        (#""\ud800""#, 1, 2, #"unpaired high surrogate \uD800 in string"#),
        (#""a\ud83d\u0041""#, 1, 3, #"unpaired high surrogate \uD83D in string"#),
        (#""\udc00\ud800""#, 1, 2, #"unpaired low surrogate \uDC00 in string"#),
        (#""\u12""#, 1, 2, #"expected 4 hexadecimal digits after '\u'"#),
        ("01", 1, 1, "leading zeros are not allowed in numbers"),
        ("[-007]", 1, 2, "leading zeros are not allowed in numbers"),
        ("1.", 1, 3, "expected a digit after the decimal point, found end of input"),
        (".5", 1, 1, "expected a value, found '.'"),
        ("1e", 1, 3, "expected a digit in the exponent, found end of input"),
        ("1e+x", 1, 4, "expected a digit in the exponent, found 'x'"),
        ("-", 1, 2, "expected a digit after '-', found end of input"),
        ("+1", 1, 1, "expected a value, found '+'"),
        ("NaN", 1, 1, "expected a value, found 'NaN'"),
        ("[Infinity]", 1, 2, "expected a value, found 'Infinity'"),
        ("-Infinity", 1, 2, "expected a digit after '-', found 'I'"),
        ("1e400", 1, 1, "number 1e400 is out of range (larger than the largest double)"),
        ("-1e309", 1, 1, "number -1e309 is out of range (larger than the largest double)"),
        ("tru", 1, 1, "expected a value, found 'tru'"),
        ("nulll", 1, 1, "expected a value, found 'nulll'"),
        ("'a'", 1, 1, "expected a value, found '''"),
        ("{} x", 1, 4, "expected end of input after the JSON value, found 'x'"),
        ("[1]]", 1, 4, "expected end of input after the JSON value, found ']'"),
        ("{\n  \"name\": \"x\",\n  \"é\": tru\n}", 3, 8, "expected a value, found 'tru'"),
        ("[\r\n1,\r\n x]", 3, 2, "expected a value, found 'x'"),
        ("[\r1,\r\u{7}]", 3, 1, "expected a value, found U+0007"),
        ("[\"é😀\", é]", 1, 8, "expected a value, found U+00E9"),
        ("\u{FEFF}{}", 1, 1, "a byte order mark (U+FEFF) is not allowed; save the file as UTF-8 without BOM"),
    ]

    @Test(arguments: errors)
    func reportsTheFirstErrorWithItsPosition(text: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try parse(text) }
        #expect(error?.message == message)
        #expect(error?.line == line)
        #expect(error?.column == column)
    }

    @Test(
        arguments: [
            ([0x22, 0xFF, 0x22], 2, "invalid UTF-8 byte 0xFF"),
            ([0x22, 0xC0, 0xAF, 0x22], 2, "invalid UTF-8 byte 0xC0"),  // overlong '/'
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 3, "invalid UTF-8 sequence (unexpected byte 0xA0)"),  // encoded surrogate
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 3, "invalid UTF-8 sequence (unexpected byte 0x90)"),  // > U+10FFFF
            ([0x22, 0xE2, 0x82], 3, "invalid UTF-8 sequence (truncated at end of input)"),  // truncated
            ([0x5B, 0xFF, 0x5D], 2, "expected a value, found invalid UTF-8 byte 0xFF"),
        ] as [([UInt8], Int, String)])
    func rejectsInvalidUTF8(bytes: [UInt8], column: Int, message: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes) }
        #expect(error?.message == message)
        #expect(error?.line == 1)
        #expect(error?.column == column)
    }

    @Test func rejectsCanonicallyEquivalentDuplicateKeys() {
        // A precomposed and a decomposed "é" are one key to JSONValue, so they are rejected.
        let error = #expect(throws: JSONSyntaxError.self) { try parse("{\"\u{E9}\":1,\"e\u{301}\":2}") }
        #expect(error?.column == 8)
    }

    @Test func rejectsNestingBeyondTheLimit() {
        let depth = JSONParser.maximumDepth
        let text = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        let error = #expect(throws: JSONSyntaxError.self) { try parse(text) }
        #expect(error?.message == "arrays and objects are nested deeper than 512 levels")
        #expect(error?.column == depth + 1)
    }

    @Test func survivesVeryDeepInputWithoutRecursion() {
        let text = String(repeating: "[{\"a\":", count: 100_000)
        let error = #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(text.utf8), maximumDepth: .max) }
        #expect(error?.message == "expected a value, found end of input")
    }
}
