import CZlib
import Formats
import FuzzSupport

// The PNG decoder: any bytes give an image whose pixel buffer matches its size, or a PNGError.
//
// Mutated PNGs mostly stop at a CRC or zlib check, so the first byte picks one of three modes:
//   0: the rest as it is;
//   1: the rest with every chunk's CRC recomputed (reaches the chunk and header checks);
//   2: a PNG built from the rest: an IHDR from its first bytes, a PLTE, and the remaining bytes as the
//      scanlines, deflated (reaches unfiltering, interlacing and every bit depth and colour type).
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    let png: [UInt8]
    switch mode % 3 {
    case 0: png = rest
    case 1: png = fixingCRCs(rest)
    default: png = synthesized(rest)
    }
    guard let image = try? PNGDecoder.decode(png) else { return 0 }
    precondition(
        image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
        "decoded an image whose pixel buffer does not match its size")
    return 0
}

func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

func fixingCRCs(_ file: [UInt8]) -> [UInt8] {
    var out = file
    var offset = 8
    while offset + 12 <= out.count {
        let length = Int(out[offset]) << 24 | Int(out[offset + 1]) << 16 | Int(out[offset + 2]) << 8 | Int(out[offset + 3])
        let end = offset + 8 + length
        guard length >= 0, end + 4 <= out.count else { break }
        out.replaceSubrange(end..<end + 4, with: bigEndian(crc(out[offset + 4..<end])))
        offset = end + 4
    }
    return out
}

func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
    let typed = Array(type.utf8) + body
    return bigEndian(UInt32(body.count)) + typed + bigEndian(crc(typed[...]))
}

func synthesized(_ input: [UInt8]) -> [UInt8] {
    guard input.count >= 6 else { return [] }
    // The valid (colour type, bit depth) pairs, and now and then an invalid one.
    let kinds: [(UInt8, UInt8)] = [
        (0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16),
        (6, 8), (6, 16), (input[3], input[4]),
    ]
    let (colorType, depth) = kinds[Int(input[2]) % kinds.count]
    let width = UInt32(input[0] % 40) + 1
    let height = UInt32(input[1] % 40) + 1
    let interlace: UInt8 = input[5] & 1
    let header = bigEndian(width) + bigEndian(height) + [depth, colorType, 0, 0, interlace]
    let paletteEntries = Int(input[4] % 16) + 1
    let palette = (0..<paletteEntries * 3).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    var raw = Array(input.dropFirst(6))
    var compressedSize = compressBound(uLong(raw.count))
    var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
    guard compress2(&compressed, &compressedSize, &raw, uLong(raw.count), 6) == Z_OK else { return [] }
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    return signature + chunk("IHDR", header) + (colorType == 3 ? chunk("PLTE", palette) : [])
        + chunk("IDAT", Array(compressed.prefix(Int(compressedSize)))) + chunk("IEND", [])
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runFuzzer { fuzzOne($0, $1) }
