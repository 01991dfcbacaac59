import FrameChainTestKit
import Testing

@testable import Formats

@Suite struct RasterImageTests {
    @Test func fillAndPixel() {
        let image = RasterImage(width: 3, height: 2, filledWith: (10, 20, 30))
        #expect(image.pixels.count == 18)
        #expect(image.pixel(x: 2, y: 1) == (10, 20, 30))
    }

    @Test func sameSizeIsIdentity() {
        let image = PNGEncoderTests.sample(width: 12, height: 8)
        #expect(image.resampled(toWidth: 12, height: 8) == image)
    }

    @Test func uniformStaysUniform() {
        let image = RasterImage(width: 451, height: 300, filledWith: (200, 100, 50))
        let scaled = image.resampled(toWidth: 288, height: 512)
        #expect(scaled.width == 288 && scaled.height == 512)
        #expect(scaled.pixels == RasterImage(width: 288, height: 512, filledWith: (200, 100, 50)).pixels)
    }

    @Test func aspectFillCropsTheCenter() {
        // Left half red, right half blue, a green stripe in the middle third: a portrait crop of this
        // landscape image sees only the green middle.
        var pixels = [UInt8]()
        for _ in 0..<10 {
            for x in 0..<30 {
                pixels += x < 10 ? [255, 0, 0] : x < 20 ? [0, 255, 0] : [0, 0, 255]
            }
        }
        let scaled = RasterImage(width: 30, height: 10, pixels: pixels).resampled(toWidth: 4, height: 4)
        #expect(scaled.pixels == RasterImage(width: 4, height: 4, filledWith: (0, 255, 0)).pixels)
    }

    @Test func upscaleInterpolates() {
        let image = RasterImage(width: 2, height: 1, pixels: [0, 0, 0, 255, 255, 255])
        let scaled = image.resampled(toWidth: 4, height: 2)
        let row = (0..<4).map { scaled.pixel(x: $0, y: 0).0 }
        #expect(row == [0, 64, 191, 255])
    }
}
