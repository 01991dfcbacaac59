import Chain

/// A color for the procedural painter, with integer channels nominally in 0…255.
struct RGBColor: Hashable {
    var red: Int
    var green: Int
    var blue: Int

    /// Creates a color from its channels, each clamped to 0…255.
    init(_ red: Int, _ green: Int, _ blue: Int) {
        self.red = min(max(red, 0), 255)
        self.green = min(max(green, 0), 255)
        self.blue = min(max(blue, 0), 255)
    }

    /// Creates a color from hue (degrees), saturation and value (both 0…255), in integer arithmetic.
    init(hue: Int, saturation: Int, value: Int) {
        let hue = ((hue % 360) + 360) % 360
        let sector = hue / 60
        let fraction = (hue % 60) * 255 / 60
        let p = value * (255 - saturation) / 255
        let q = value * (255 - saturation * fraction / 255) / 255
        let t = value * (255 - saturation * (255 - fraction) / 255) / 255
        switch sector {
        case 0: self.init(value, t, p)
        case 1: self.init(q, value, p)
        case 2: self.init(p, value, t)
        case 3: self.init(p, q, value)
        case 4: self.init(t, p, value)
        default: self.init(value, p, q)
        }
    }

    /// This color moved toward `other` by `amount` (0 keeps this color, 256 gives `other`).
    func mixed(with other: RGBColor, _ amount: Int) -> RGBColor {
        RGBColor(
            red + (other.red - red) * amount / 256, green + (other.green - green) * amount / 256,
            blue + (other.blue - blue) * amount / 256)
    }

    /// This color with every channel multiplied by `factor` / 256 (so 256 keeps it, 128 halves it).
    func scaled(_ factor: Int) -> RGBColor {
        RGBColor(red * factor / 256, green * factor / 256, blue * factor / 256)
    }

    /// The perceptual brightness, 0…255 (Rec. 601 weights).
    var luma: Int { (red * 77 + green * 150 + blue * 29) >> 8 }

    static let white = RGBColor(255, 255, 255)
    static let black = RGBColor(0, 0, 0)
}
