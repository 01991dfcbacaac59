import FrameChainTestKit
import Foundation
import Testing

@testable import Formats

@Suite struct PNGEncoderTests {
    static func sample(width: Int, height: Int, seed: UInt64 = 1) -> RasterImage {
        TestSupport.sampleImage(width: width, height: height, seed: seed)
    }

    @Test(arguments: [(1, 1), (2, 3), (17, 5), (96, 160), (300, 7)])
    func roundTrip(width: Int, height: Int) throws {
        let image = Self.sample(width: width, height: height)
        let decoded = try PNGDecoder.decode(PNGEncoder.encode(image))
        #expect(decoded == image)
    }

    @Test func deterministicBytes() {
        let image = Self.sample(width: 40, height: 30)
        #expect(PNGEncoder.encode(image) == PNGEncoder.encode(image))
    }

    @Test func layout() {
        let bytes = PNGEncoder.encode(Self.sample(width: 5, height: 4))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: length 13, 5x4, bit depth 8, color type 2, no interlace.
        #expect(Array(bytes[8..<16]) == [0, 0, 0, 13] + Array("IHDR".utf8))
        #expect(Array(bytes[16..<29]) == [0, 0, 0, 5, 0, 0, 0, 4, 8, 2, 0, 0, 0])
        // IEND with its well-known CRC closes the file.
        #expect(Array(bytes.suffix(12)) == [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82])
    }

    @Test(.enabled(if: TestSupport.python3 != nil, "python3 is not installed"))
    func independentDecoderAgrees() throws {
        let image = Self.sample(width: 33, height: 21, seed: 9)
        try TestSupport.withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("sample.png")
            let raw = directory.appendingPathComponent("sample.rgb")
            try Data(PNGEncoder.encode(image)).write(to: file)
            let result = try TestSupport.runPython(TestSupport.pythonPNGChecker, [file.path, raw.path])
            #expect(result.status == 0)
            #expect(result.output == "OK 33 21 8 2\n")
            #expect(Array(try Data(contentsOf: raw)) == image.pixels)
        }
    }
}
