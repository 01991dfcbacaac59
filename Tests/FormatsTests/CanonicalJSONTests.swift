import FrameChainTestKit
import Testing

@testable import Formats

@Suite struct CanonicalJSONTests {
    private func canonical(_ text: String) throws -> [UInt8] {
        CanonicalJSON.bytes(try JSONParser.parse(Array(text.utf8)))
    }

    // MARK: - RFC 8785 examples

    /// RFC 8785 Appendix B, "Number Serialization Samples" (every finite entry).
    static let appendixB: [(bits: UInt64, text: String)] = [
        (0x0000_0000_0000_0000, "0"),
        (0x8000_0000_0000_0000, "0"),
        (0x0000_0000_0000_0001, "5e-324"),
        (0x8000_0000_0000_0001, "-5e-324"),
        (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
        (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992"),
        (0xC340_0000_0000_0000, "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
        (0x44B5_2D02_C7E1_4AF6, "1e+23"),
        (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
        (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
        (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
        (0x444B_1AE4_D6E2_EF50, "1e+21"),
        (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
        (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
        (0x41B3_DE43_5555_5553, "333333333.3333332"),
        (0x41B3_DE43_5555_5554, "333333333.33333325"),
        (0x41B3_DE43_5555_5555, "333333333.3333333"),
        (0x41B3_DE43_5555_5556, "333333333.3333334"),
        (0x41B3_DE43_5555_5557, "333333333.33333343"),
        (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
        (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
    ]

    @Test(arguments: appendixB)
    func serializesNumbersAsAppendixB(bits: UInt64, text: String) {
        #expect(CanonicalJSON.string(.number(Double(bitPattern: bits))) == text)
    }

    /// RFC 8785 §3.2.2: the example input and its canonical output.
    @Test func matchesTheSection322Example() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let expected = #"""
            {"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}
            """#
        #expect(try canonical(input) == Array(expected.utf8))
    }

    /// RFC 8785 §3.2.3: members sorted by UTF-16 code units (the emoji's surrogates sort before U+FB33).
    @Test func sortsKeysByUTF16CodeUnitsAsSection323() throws {
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let expected =
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
            + "\"\u{F6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20AC}\":\"Euro Sign\","
            + "\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(try canonical(input) == Array(expected.utf8))
    }

    // MARK: - Strings

    @Test func escapesExactlyTheCharactersJCSEscapes() {
        var text = ""
        for value in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        text += "\"\\/\u{7F}\u{80}\u{2028}\u{2029}é😀"
        let expected =
            #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + "\\\"\\\\/\u{7F}\u{80}\u{2028}\u{2029}é😀\""
        #expect(CanonicalJSON.bytes(.string(text)) == Array(expected.utf8))
    }

    @Test func writesSurrogatePairEscapesAsLiteralUTF8() throws {
        #expect(try canonical(#""\uD83D\uDE00 \u00e9""#) == [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x20, 0xC3, 0xA9, 0x22])
    }

    @Test func keepsStringsExactlyAsWrittenWithoutNormalization() {
        // A decomposed "é" stays decomposed: canonicalization never applies Unicode normalization.
        #expect(CanonicalJSON.bytes(.string("e\u{301}")) == [0x22, 0x65, 0xCC, 0x81, 0x22])
    }

    // MARK: - Numbers

    @Test(
        arguments: [
            (0.0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (288, "288"), (4.5, "4.5"), (-1.5, "-1.5"),
            (0.1, "0.1"), (0.1 + 0.2, "0.30000000000000004"), (100, "100"), (123e-20, "1.23e-18"),
            (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e21, "1.5e+21"), (-1e21, "-1e+21"),
            (1e-6, "0.000001"), (1.5e-6, "0.0000015"), (1e-7, "1e-7"), (1.25e-7, "1.25e-7"),
            (123_456_789, "123456789"), (9_007_199_254_740_991, "9007199254740991"), (1e300, "1e+300"),
            (Double.leastNormalMagnitude, "2.2250738585072014e-308"),
        ] as [(Double, String)])
    func serializesNumbersAsECMAScript(number: Double, text: String) {
        #expect(CanonicalJSON.string(.number(number)) == text)
    }

    @Test func minusZeroFromTheParserIsZero() throws {
        #expect(try canonical("[-0, -0.0, 0e5]") == Array("[0,0,0]".utf8))
    }

    // MARK: - Structure

    @Test func writesNoWhiteSpaceAndSortsNestedObjects() throws {
        let input = #" { "b" : [ 1 , { "z" : null , "a" : [ ] } ] , "a" : { } , "" : true } "#
        #expect(try canonical(input) == Array(#"{"":true,"a":{},"b":[1,{"a":[],"z":null}]}"#.utf8))
    }

    @Test func stringAndBytesAgree() {
        let value = JSONValue.object(["k": .array([.string("v\n"), .number(1e21), .bool(false)])])
        #expect(Array(CanonicalJSON.string(value).utf8) == CanonicalJSON.bytes(value))
        #expect(CanonicalJSON.string(value) == #"{"k":["v\n",1e+21,false]}"#)
    }
}
