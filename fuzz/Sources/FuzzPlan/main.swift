import Chain
import Formats
import FuzzSupport

// The plan loader's validation (no file system): any bytes give a Plan or a PlanError.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? PlanLoader.decode(bytes(data, size), file: "fuzz.json")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runFuzzer { fuzzOne($0, $1) }
