import Formats
import FuzzSupport

// The strict JSON parser: any bytes either parse or throw a JSONSyntaxError; what parses must survive a
// canonical round trip.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let value = try? JSONParser.parse(input) else { return 0 }
    let canonical = CanonicalJSON.bytes(value)
    guard let reparsed = try? JSONParser.parse(canonical), reparsed == value else {
        fatalError("canonical JSON of a parsed value does not parse back to the same value")
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runFuzzer { fuzzOne($0, $1) }
