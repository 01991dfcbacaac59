import Formats
import FuzzSupport

// The PNG decoder: any bytes give an image whose pixel buffer matches its size, or a PNGError.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let image = try? PNGDecoder.decode(bytes(data, size)) else { return 0 }
    precondition(
        image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
        "decoded an image whose pixel buffer does not match its size")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runFuzzer { fuzzOne($0, $1) }
