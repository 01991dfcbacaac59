extension RasterImage {
    /// Returns the image scaled to fill `width` × `height`, cropping the excess of the longer side evenly
    /// (aspect fill, like CSS `object-fit: cover`), so that proportions are kept.
    ///
    /// Shrinking by two or more first averages whole blocks of pixels (a box filter), which avoids aliasing;
    /// the rest of the way is bilinear. All arithmetic is integer, so the result is the same on every platform.
    ///
    /// - Parameters:
    ///   - width: The output width in pixels; must be positive.
    ///   - height: The output height in pixels; must be positive.
    /// - Returns: The resampled image.
    package func resampled(toWidth width: Int, height: Int) -> RasterImage {
        precondition(width > 0 && height > 0, "resampled size must be positive")
        // The centered crop with the output's aspect ratio.
        var cropWidth = self.width
        var cropHeight = self.height
        if self.width * height > width * self.height {
            cropWidth = max(1, (self.height * width + height / 2) / height)
        } else {
            cropHeight = max(1, (self.width * height + width / 2) / width)
        }
        // Whole-block averaging factors; the crop shrinks to a multiple of them.
        let factorX = max(1, cropWidth / width)
        let factorY = max(1, cropHeight / height)
        cropWidth = cropWidth / factorX * factorX
        cropHeight = cropHeight / factorY * factorY
        let reduced = boxAveraged(
            originX: (self.width - cropWidth) / 2, originY: (self.height - cropHeight) / 2,
            width: cropWidth / factorX, height: cropHeight / factorY, factorX: factorX, factorY: factorY)
        if reduced.width == width && reduced.height == height { return reduced }
        return reduced.bilinearlyScaled(toWidth: width, height: height)
    }

    /// The `width` × `height` image whose pixels average `factorX` × `factorY` blocks starting at the origin.
    private func boxAveraged(
        originX: Int, originY: Int, width: Int, height: Int, factorX: Int, factorY: Int
    ) -> RasterImage {
        var output = [UInt8](repeating: 0, count: width * height * 3)
        let area = factorX * factorY
        var sums = [Int](repeating: 0, count: width * 3)
        pixels.withUnsafeBufferPointer { source in
            for y in 0..<height {
                for index in sums.indices { sums[index] = 0 }
                for row in 0..<factorY {
                    let rowStart = ((originY + y * factorY + row) * self.width + originX) * 3
                    for x in 0..<width {
                        var offset = rowStart + x * factorX * 3
                        for _ in 0..<factorX {
                            sums[x * 3] += Int(source[offset])
                            sums[x * 3 + 1] += Int(source[offset + 1])
                            sums[x * 3 + 2] += Int(source[offset + 2])
                            offset += 3
                        }
                    }
                }
                let outputStart = y * width * 3
                for index in 0..<(width * 3) { output[outputStart + index] = UInt8((sums[index] + area / 2) / area) }
            }
        }
        return RasterImage(width: width, height: height, pixels: output)
    }

    /// The image scaled to `width` × `height` with bilinear interpolation (pixel centers aligned).
    private func bilinearlyScaled(toWidth width: Int, height: Int) -> RasterImage {
        let columns = Self.taps(count: width, sourceCount: self.width)
        let rows = Self.taps(count: height, sourceCount: self.height)
        var output = [UInt8](repeating: 0, count: width * height * 3)
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { output in
                var target = 0
                for (top, bottom, weightY) in rows {
                    let topRow = top * self.width * 3
                    let bottomRow = bottom * self.width * 3
                    for (left, right, weightX) in columns {
                        for channel in 0..<3 {
                            let upperLeft = Int(source[topRow + left * 3 + channel])
                            let upperRight = Int(source[topRow + right * 3 + channel])
                            let lowerLeft = Int(source[bottomRow + left * 3 + channel])
                            let lowerRight = Int(source[bottomRow + right * 3 + channel])
                            let upper = upperLeft * (256 - weightX) + upperRight * weightX
                            let lower = lowerLeft * (256 - weightX) + lowerRight * weightX
                            output[target] = UInt8((upper * (256 - weightY) + lower * weightY + 32768) >> 16)
                            target += 1
                        }
                    }
                }
            }
        }
        return RasterImage(width: width, height: height, pixels: output)
    }

    /// For each of `count` output positions: the two source positions around it and the weight (0…256) of
    /// the second, mapping pixel centers onto pixel centers.
    private static func taps(count: Int, sourceCount: Int) -> [(Int, Int, Int)] {
        (0..<count).map { position in
            // Source coordinate of the output pixel's center, in 1/256 pixel, minus half a pixel.
            let scaled = ((2 * position + 1) * sourceCount * 256) / (2 * count) - 128
            let clamped = min(max(scaled, 0), (sourceCount - 1) * 256)
            let first = clamped >> 8
            return (first, min(first + 1, sourceCount - 1), clamped & 255)
        }
    }
}
