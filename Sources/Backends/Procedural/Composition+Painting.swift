import Chain
import Formats

extension Composition {
    /// Paints the composition: background, light, soft shapes, the subject with its shadow and rim light,
    /// sparkles and a vignette.
    ///
    /// All pixel arithmetic is integer (fixed point), so the pixels are the same on every platform, and the
    /// inner loops allocate nothing.
    ///
    /// - Returns: The painted image, `width` × `height`.
    func render() -> RasterImage {
        var image = RasterImage(width: width, height: height, filledWith: (0, 0, 0))
        image.withUnsafeMutablePixels { pixels in
            var canvas = Canvas(pixels: pixels, width: width, height: height)
            paintBackground(on: &canvas)
            canvas.draw(glow, mode: .add)
            for blob in blobs { canvas.draw(blob, mode: .blend) }
            paintSubject(on: &canvas)
            for sparkle in sparkles { canvas.draw(sparkle, mode: .add) }
            canvas.applyVignette(strength: vignette)
        }
        return image
    }

    // MARK: - Background

    /// The sky gradient down to the horizon, a haze band around it, and the ground gradient below.
    private func paintBackground(on canvas: inout Canvas) {
        let haze = max(2, height / 40)
        for y in 0..<height {
            var color: RGBColor
            if y < horizon {
                let t = y * 256 / max(horizon, 1)
                color = skyTop.mixed(with: skyHorizon, t * t / 256)
            } else {
                let t = (y - horizon) * 256 / max(height - horizon, 1)
                color = groundFar.mixed(with: groundNear, t)
            }
            let distance = abs(y - horizon)
            if distance < haze {
                color = color.mixed(with: skyHorizon, (haze - distance) * 150 / haze)
            }
            canvas.fillRow(y, with: color)
        }
    }

    // MARK: - Subject

    /// The subject's silhouette, its contact shadow, a glass-like highlight and a rim light.
    private func paintSubject(on canvas: inout Canvas) {
        let profile = subject.profile
        let widest = (profile.map(\.half).max() ?? 0) * subjectWidthScale / 1000
        canvas.draw(
            Blob(
                centerX: subjectCenterX, centerY: subjectTop + subjectHeight, radiusX: max(4, widest * 5 / 4),
                radiusY: max(3, subjectHeight / 22), color: .black, opacity: 170),
            mode: .blend)

        let center = subjectCenterX * 256 + 128
        let highlightAt = lightFromLeft ? -130 : 130
        for row in 0..<subjectHeight {
            let y = subjectTop + row
            guard y >= 0, y < height else { continue }
            // Position down the profile, in hundred-thousandths of the subject's height.
            let t = (row * 2 + 1) * 100_000 / (2 * subjectHeight)
            guard let span = Self.span(of: profile, at: t, widthScale: subjectWidthScale) else { continue }
            guard span.half > 0 else { continue }
            let base = span.accent ? accentColor : subjectColor
            let rimWidth = max(512, span.half / 7)
            let first = max(0, (center - span.half) >> 8)
            let last = min(width - 1, (center + span.half) >> 8)
            guard first <= last else { continue }
            for x in first...last {
                let left = x * 256
                var coverage = Self.overlap(left, left + 256, center - span.half, center + span.half)
                if span.inner > 0 {
                    coverage -= Self.overlap(left, left + 256, center - span.inner, center + span.inner)
                }
                guard coverage > 0 else { continue }
                let offset = left + 128 - center
                let u = min(max(offset * 256 / span.half, -256), 256)
                // Rounded body: darker toward the edges.
                var color = base.scaled(256 - u * u / 1100)
                // A soft vertical reflection on the lit side.
                let highlight = max(0, 48 - abs(u - highlightAt)) * (span.accent ? 190 : 110) / 48
                color = color.mixed(with: .white, highlight)
                // Rim light: strong on the lit edge, faint on the other.
                let litSide = (offset < 0) == lightFromLeft
                let edgeDistance = span.half - abs(offset)
                if edgeDistance < rimWidth {
                    let strength = (rimWidth - edgeDistance) * 256 / rimWidth
                    color = color.mixed(with: rimColor, strength * (litSide ? 220 : 70) / 256)
                }
                canvas.blend(x: x, y: y, color: color, alpha: coverage * 240 / 256)
            }
        }
    }

    /// The profile's half widths at `t` (hundred-thousandths of the height), in 1/256 pixels.
    private static func span(
        of profile: [SubjectShape.Point], at t: Int, widthScale: Int
    ) -> (half: Int, inner: Int, accent: Bool)? {
        for index in 0..<(profile.count - 1) {
            let upper = profile[index]
            let lower = profile[index + 1]
            let start = upper.t * 100
            let end = lower.t * 100
            guard end > start, t >= start, t < end else { continue }
            func interpolate(_ a: Int, _ b: Int) -> Int {
                (a * (end - t) + b * (t - start)) * widthScale * 256 / ((end - start) * 1000)
            }
            return (interpolate(upper.half, lower.half), interpolate(upper.inner, lower.inner), upper.accent)
        }
        return nil
    }

    /// The length of the overlap of two intervals.
    private static func overlap(_ start: Int, _ end: Int, _ otherStart: Int, _ otherEnd: Int) -> Int {
        max(0, min(end, otherEnd) - max(start, otherStart))
    }
}

// MARK: - Canvas

/// Drawing primitives over a borrowed RGB8 buffer.
private struct Canvas {
    enum Mode {
        /// Alpha blending toward the color.
        case blend
        /// Adding the color, saturating (for light).
        case add
    }

    let pixels: UnsafeMutableBufferPointer<UInt8>
    let width: Int
    let height: Int

    /// A soft falloff over the squared normalized distance: (1 - d²)², 0…256, in 1024 steps.
    static let falloff: [Int] = (0..<1024).map { index in
        let remaining = 1024 - index
        return remaining * remaining * 256 / (1024 * 1024)
    }

    func fillRow(_ y: Int, with color: RGBColor) {
        var index = y * width * 3
        for _ in 0..<width {
            pixels[index] = UInt8(color.red)
            pixels[index + 1] = UInt8(color.green)
            pixels[index + 2] = UInt8(color.blue)
            index += 3
        }
    }

    @inline(__always)
    func blend(x: Int, y: Int, color: RGBColor, alpha: Int) {
        let index = (y * width + x) * 3
        pixels[index] = Self.mix(pixels[index], color.red, alpha)
        pixels[index + 1] = Self.mix(pixels[index + 1], color.green, alpha)
        pixels[index + 2] = Self.mix(pixels[index + 2], color.blue, alpha)
    }

    @inline(__always)
    static func mix(_ value: UInt8, _ target: Int, _ alpha: Int) -> UInt8 {
        UInt8(Int(value) + ((target - Int(value)) * alpha + 128) >> 8)
    }

    /// Draws a soft ellipse; its opacity falls smoothly from the center to zero at the edge.
    func draw(_ blob: Composition.Blob, mode: Mode) {
        let radiusX = max(1, blob.radiusX)
        let radiusY = max(1, blob.radiusY)
        let scaleX = (1 << 32) / (radiusX * radiusX)
        let scaleY = (1 << 32) / (radiusY * radiusY)
        let opacity = min(max(blob.opacity, 0), 256)
        let falloff = Self.falloff
        falloff.withUnsafeBufferPointer { falloff in
            for y in max(0, blob.centerY - radiusY)...max(0, min(height - 1, blob.centerY + radiusY)) {
                let dy = y - blob.centerY
                let rowTerm = dy * dy * scaleY
                guard rowTerm < 1 << 32 else { continue }
                let firstX = max(0, blob.centerX - radiusX)
                let lastX = min(width - 1, blob.centerX + radiusX)
                guard firstX <= lastX else { continue }
                var index = (y * width + firstX) * 3
                for x in firstX...lastX {
                    defer { index += 3 }
                    let dx = x - blob.centerX
                    let distance = dx * dx * scaleX + rowTerm
                    guard distance < 1 << 32 else { continue }
                    let alpha = (falloff[distance >> 22] * opacity) >> 8
                    switch mode {
                    case .blend:
                        pixels[index] = Self.mix(pixels[index], blob.color.red, alpha)
                        pixels[index + 1] = Self.mix(pixels[index + 1], blob.color.green, alpha)
                        pixels[index + 2] = Self.mix(pixels[index + 2], blob.color.blue, alpha)
                    case .add:
                        pixels[index] = UInt8(min(255, Int(pixels[index]) + (blob.color.red * alpha) >> 8))
                        pixels[index + 1] = UInt8(min(255, Int(pixels[index + 1]) + (blob.color.green * alpha) >> 8))
                        pixels[index + 2] = UInt8(min(255, Int(pixels[index + 2]) + (blob.color.blue * alpha) >> 8))
                    }
                }
            }
        }
    }

    /// Darkens toward the corners: each pixel is scaled by a row factor times a column factor.
    func applyVignette(strength: Int) {
        func factors(_ count: Int) -> [Int] {
            (0..<count).map { position in
                let offset = 2 * position + 1 - count
                return 256 - strength / 2 * offset * offset / (count * count)
            }
        }
        let columns = factors(width)
        let rows = factors(height)
        var index = 0
        for y in 0..<height {
            for x in 0..<width {
                let factor = rows[y] * columns[x]
                pixels[index] = UInt8((Int(pixels[index]) * factor) >> 16)
                pixels[index + 1] = UInt8((Int(pixels[index + 1]) * factor) >> 16)
                pixels[index + 2] = UInt8((Int(pixels[index + 2]) * factor) >> 16)
                index += 3
            }
        }
    }
}
