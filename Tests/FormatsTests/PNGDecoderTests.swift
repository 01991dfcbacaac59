import FrameChainTestKit
import Foundation
import Testing

@testable import Formats

@Suite struct PNGDecoderTests {
    @Test(arguments: PNGVector.all)
    func independentlyWrittenVectors(_ vector: PNGVector) throws {
        let image = try PNGDecoder.decode(TestSupport.bytes(hex: vector.png))
        #expect(image.width == vector.width)
        #expect(image.height == vector.height)
        #expect(image.pixels == TestSupport.bytes(hex: vector.expected))
    }

    static let chelsea = TestSupport.sharedImages.appendingPathComponent("chelsea.png")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: chelsea.path), "shared fixtures are absent"))
    func realPhotograph() throws {
        let bytes = Array(try Data(contentsOf: Self.chelsea))
        let image = try PNGDecoder.decode(bytes)
        #expect(image.width == 451)
        #expect(image.height == 300)
        guard TestSupport.python3 != nil else { return }
        // The independent Python unfilterer must give the same pixels.
        try TestSupport.withTemporaryDirectory { directory in
            let raw = directory.appendingPathComponent("chelsea.rgb")
            let result = try TestSupport.runPython(TestSupport.pythonPNGChecker, [Self.chelsea.path, raw.path])
            #expect(result.output == "OK 451 300 8 2\n")
            #expect(Array(try Data(contentsOf: raw)) == image.pixels)
        }
    }

    /// The first palette vector, whose chunks are IHDR, tEXt, PLTE, IDAT, IDAT, IEND.
    static let palettePNG = TestSupport.bytes(hex: PNGVector.all[0].png)

    /// The offset of the first chunk of `type` in `bytes`.
    static func offset(of type: String, in bytes: [UInt8]) -> Int {
        var offset = 8
        while String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self) != type {
            let length =
                Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            offset += length + 12
        }
        return offset
    }

    @Test func crcCorruptionIsDetected() throws {
        var bytes = Self.palettePNG
        let idat = Self.offset(of: "IDAT", in: bytes)
        bytes[idat + 9] ^= 0x01
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        #expect(error.code == .crcMismatch)
        #expect(error.description == "PNG error (crc mismatch): CRC mismatch in IDAT chunk at offset \(idat)")
    }

    @Test func crcCorruptionInAncillaryChunkIsDetected() throws {
        var bytes = PNGEncoder.encode(RasterImage(width: 2, height: 2, filledWith: (1, 2, 3)))
        bytes[bytes.count - 1] ^= 0x80  // the IEND CRC
        #expect(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        do {
            _ = try PNGDecoder.decode(bytes)
        } catch PNGError.crcMismatch {
            // The pattern match on the error kind works.
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func notAPNG() throws {
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(Array("GIF89a....".utf8)) }
        #expect(error.description == "PNG error (not a PNG): the data does not start with the PNG signature")
    }

    @Test func truncated() throws {
        let bytes = Self.palettePNG
        for length in [8, 20, bytes.count - 12, bytes.count - 1] {
            let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(Array(bytes.prefix(length))) }
            #expect(error.code == .truncated)
        }
    }

    @Test func pixelLimit() throws {
        let bytes = PNGEncoder.encode(RasterImage(width: 20, height: 10, filledWith: (0, 0, 0)))
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes, pixelLimit: 199) }
        #expect(error.description == "PNG error (too large): 20x10 is more than the limit of 199 pixels")
        #expect(try PNGDecoder.decode(bytes, pixelLimit: 200).width == 20)
    }

    @Test func hugeDeclaredSizeIsRejectedBeforeAllocating() throws {
        // 100000 x 100000 with a valid CRC but no data: rejected by the default 64-megapixel limit.
        var bytes = PNGEncoder.signature
        bytes.appendChunk("IHDR", [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0])
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        #expect(error.code == .tooLarge)
    }

    @Test func badFilterType() throws {
        // One 1x1 RGB row with filter type 7.
        var bytes = PNGEncoder.signature
        bytes.appendChunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
        bytes.appendChunk("IDAT", Zlib.compress([7, 1, 2, 3], level: 6))
        bytes.appendChunk("IEND", [])
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        #expect(error.description == "PNG error (corrupt data): unknown row filter type 7")
    }

    @Test func shortAndLongImageData() throws {
        for raw: [UInt8] in [[0, 1, 2], [0, 1, 2, 3, 0]] {
            var bytes = PNGEncoder.signature
            bytes.appendChunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
            bytes.appendChunk("IDAT", Zlib.compress(raw, level: 6))
            bytes.appendChunk("IEND", [])
            let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
            #expect(error.code == .corruptData)
        }
    }

    @Test func unknownCriticalChunk() throws {
        var bytes = PNGEncoder.signature
        bytes.appendChunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
        bytes.appendChunk("ZZZZ", [])
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        #expect(error.description == "PNG error (unsupported): unknown critical chunk ZZZZ")
    }

    @Test func paletteIndexOutOfRange() throws {
        var bytes = PNGEncoder.signature
        bytes.appendChunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 3, 0, 0, 0])
        bytes.appendChunk("PLTE", [255, 0, 0])
        bytes.appendChunk("IDAT", Zlib.compress([0, 1], level: 6))
        bytes.appendChunk("IEND", [])
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        #expect(error.description == "PNG error (corrupt data): palette index 1 is outside the 1-entry PLTE")
    }

    @Test func paletteImageWithoutPalette() throws {
        var bytes = PNGEncoder.signature
        bytes.appendChunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 3, 0, 0, 0])
        bytes.appendChunk("IDAT", Zlib.compress([0, 0], level: 6))
        bytes.appendChunk("IEND", [])
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        #expect(error.code == .invalidChunk)
    }

    @Test func invalidBitDepth() throws {
        var bytes = PNGEncoder.signature
        bytes.appendChunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 4, 2, 0, 0, 0])
        let error = try #require(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        #expect(error.description == "PNG error (invalid chunk): bit depth 4 is invalid for color type 2")
    }
}
