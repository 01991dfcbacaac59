/// An 8-bit RGB image in memory: rows from the top, pixels from the left, three bytes (R, G, B) per pixel.
///
/// This is the only pixel format framechain's imaging code works in: ``PNGDecoder`` converts every PNG to it
/// and ``PNGEncoder`` writes it. The pixel count always equals `width * height * 3`.
package struct RasterImage: Sendable, Hashable {
    /// The width in pixels (at least 1).
    package let width: Int
    /// The height in pixels (at least 1).
    package let height: Int
    /// The pixel bytes, `width * height * 3` of them, in R, G, B order.
    package private(set) var pixels: [UInt8]

    /// Creates an image from its pixel bytes.
    ///
    /// - Parameters:
    ///   - width: The width in pixels; must be positive.
    ///   - height: The height in pixels; must be positive.
    ///   - pixels: Exactly `width * height * 3` bytes, R, G, B per pixel, rows from the top.
    package init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "RasterImage dimensions must be positive")
        precondition(pixels.count == width * height * 3, "RasterImage needs width * height * 3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an image filled with one color.
    ///
    /// - Parameters:
    ///   - width: The width in pixels; must be positive.
    ///   - height: The height in pixels; must be positive.
    ///   - color: The fill color as (red, green, blue).
    package init(width: Int, height: Int, filledWith color: (UInt8, UInt8, UInt8)) {
        precondition(width > 0 && height > 0, "RasterImage dimensions must be positive")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            pixels[index] = color.0
            pixels[index + 1] = color.1
            pixels[index + 2] = color.2
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The number of bytes in one row (`width * 3`).
    package var bytesPerRow: Int { width * 3 }

    /// The color of the pixel at (`x`, `y`), for tests and spot checks.
    ///
    /// - Parameters:
    ///   - x: The column, `0..<width`.
    ///   - y: The row, `0..<height`.
    /// - Returns: The pixel as (red, green, blue).
    package func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        precondition((0..<width).contains(x) && (0..<height).contains(y), "pixel coordinates out of range")
        let index = (y * width + x) * 3
        return (pixels[index], pixels[index + 1], pixels[index + 2])
    }

    /// Calls `body` with mutable access to the pixel bytes; their count cannot change.
    ///
    /// - Parameter body: A closure that reads and writes the `width * height * 3` pixel bytes.
    /// - Returns: What `body` returns.
    package mutating func withUnsafeMutablePixels<R>(
        _ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R
    ) rethrows -> R {
        try pixels.withUnsafeMutableBufferPointer { try body($0) }
    }
}
