import Chain

/// The silhouette of the subject drawn at the center of a procedural image, chosen from the prompt's words.
///
/// Every shape is a vertical profile: from top (`t = 0`) to bottom (`t = 1000`) it gives the half width of
/// the silhouette, optionally with a hollow middle (which splits a row into two spans, as for ears or
/// wheels), and whether that part is drawn in the accent color (a bottle's cap, a candle's flame).
enum SubjectShape: Hashable {
    case bottle, figure, animal, rocket, tree, tower, car, mountain, disc, goblet, flower, candle
    /// A vase-like profile built from a hash of the subject word, for words with no known shape.
    case vase(UInt64)

    /// One control point of a profile; rows between points interpolate linearly.
    struct Point: Hashable {
        /// The position from the top, 0…1000 of the subject's height.
        var t: Int
        /// The half width, in thousandths of the subject's height.
        var half: Int
        /// The half width of the hollow middle (0 for a solid row), in thousandths of the subject's height.
        var inner: Int = 0
        /// Whether the part from this point down to the next is drawn in the accent color.
        var accent: Bool = false
    }

    /// The shape a prompt word names, if any (`bottles` is looked up as `bottle` too).
    init?(word: String) {
        let table: [String: SubjectShape] = [
            "bottle": .bottle, "perfume": .bottle, "flask": .bottle, "vial": .bottle, "fragrance": .bottle,
            "cologne": .bottle, "potion": .bottle, "jar": .bottle,
            "person": .figure, "woman": .figure, "man": .figure, "girl": .figure, "boy": .figure,
            "model": .figure, "figure": .figure, "dancer": .figure, "people": .figure, "portrait": .figure,
            "lady": .figure, "silhouette": .figure, "actor": .figure, "actress": .figure, "child": .figure,
            "cat": .animal, "kitten": .animal, "dog": .animal, "puppy": .animal, "fox": .animal,
            "wolf": .animal, "animal": .animal, "owl": .animal, "rabbit": .animal, "bear": .animal,
            "rocket": .rocket, "spaceship": .rocket, "missile": .rocket, "shuttle": .rocket,
            "spacecraft": .rocket, "launch": .rocket,
            "tree": .tree, "pine": .tree, "forest": .tree, "christmas": .tree,
            "tower": .tower, "building": .tower, "skyscraper": .tower, "castle": .tower, "city": .tower,
            "lighthouse": .tower, "church": .tower, "skyline": .tower,
            "car": .car, "truck": .car, "vehicle": .car, "van": .car, "jeep": .car, "taxi": .car,
            "mountain": .mountain, "mountains": .mountain, "peak": .mountain, "volcano": .mountain,
            "hill": .mountain, "pyramid": .mountain,
            "sun": .disc, "moon": .disc, "planet": .disc, "orb": .disc, "sphere": .disc, "ball": .disc,
            "apple": .disc, "globe": .disc, "bubble": .disc, "earth": .disc,
            "cup": .goblet, "mug": .goblet, "goblet": .goblet, "chalice": .goblet, "cocktail": .goblet,
            "trophy": .goblet,
            "flower": .flower, "tulip": .flower, "bloom": .flower, "blossom": .flower, "daisy": .flower,
            "sunflower": .flower, "lily": .flower, "bouquet": .flower,
            "candle": .candle, "lamp": .candle, "lantern": .candle, "torch": .candle, "flame": .candle,
        ]
        if let shape = table[word] {
            self = shape
        } else if word.count > 3, word.hasSuffix("s"), let shape = table[String(word.dropLast())] {
            self = shape
        } else {
            return nil
        }
    }

    /// The control points from top to bottom.
    var profile: [Point] {
        switch self {
        case .bottle:
            [
                Point(t: 0, half: 95, accent: true), Point(t: 150, half: 100, accent: true),
                Point(t: 150, half: 55), Point(t: 215, half: 55), Point(t: 285, half: 225),
                Point(t: 330, half: 262), Point(t: 950, half: 262), Point(t: 1000, half: 232),
            ]
        case .figure:
            Self.arc(center: 105, radius: 95, from: 10, to: 195, widthScale: 800)
                + [
                    Point(t: 200, half: 40), Point(t: 240, half: 45), Point(t: 275, half: 185),
                    Point(t: 320, half: 175), Point(t: 540, half: 120), Point(t: 620, half: 165),
                    Point(t: 1000, half: 230),
                ]
        case .animal:
            [Point(t: 0, half: 150, inner: 118), Point(t: 130, half: 175, inner: 20)]
                + Self.arc(center: 270, radius: 160, from: 130, to: 400, widthScale: 1150)
                + [
                    Point(t: 405, half: 120), Point(t: 480, half: 170), Point(t: 800, half: 275),
                    Point(t: 1000, half: 300),
                ]
        case .rocket:
            Self.arc(center: 230, radius: 230, from: 0, to: 230, widthScale: 540)
                + [
                    Point(t: 600, half: 125), Point(t: 620, half: 125), Point(t: 880, half: 250),
                    Point(t: 930, half: 250), Point(t: 930, half: 95, accent: true),
                    Point(t: 1000, half: 60, accent: true),
                ]
        case .tree:
            [
                Point(t: 0, half: 0), Point(t: 260, half: 170), Point(t: 260, half: 100),
                Point(t: 520, half: 280), Point(t: 520, half: 170), Point(t: 800, half: 380),
                Point(t: 800, half: 55), Point(t: 1000, half: 60),
            ]
        case .tower:
            [
                Point(t: 0, half: 8), Point(t: 90, half: 8), Point(t: 90, half: 75), Point(t: 210, half: 80),
                Point(t: 210, half: 140), Point(t: 420, half: 145), Point(t: 420, half: 200),
                Point(t: 1000, half: 210),
            ]
        case .car:
            [
                Point(t: 0, half: 270), Point(t: 330, half: 370), Point(t: 360, half: 490),
                Point(t: 760, half: 500), Point(t: 760, half: 490, inner: 310),
                Point(t: 1000, half: 480, inner: 320),
            ]
        case .mountain:
            [Point(t: 0, half: 15), Point(t: 120, half: 140), Point(t: 1000, half: 880)]
        case .disc:
            Self.arc(center: 500, radius: 500, from: 0, to: 1000, widthScale: 1000)
        case .goblet:
            [
                Point(t: 0, half: 300), Point(t: 300, half: 270), Point(t: 420, half: 120),
                Point(t: 460, half: 35), Point(t: 900, half: 30), Point(t: 930, half: 210),
                Point(t: 1000, half: 230),
            ]
        case .flower:
            Self.arc(center: 230, radius: 220, from: 10, to: 450, widthScale: 1000, accent: true)
                + [
                    Point(t: 450, half: 22), Point(t: 560, half: 22), Point(t: 600, half: 130),
                    Point(t: 660, half: 22), Point(t: 1000, half: 26),
                ]
        case .candle:
            [
                Point(t: 0, half: 0, accent: true), Point(t: 120, half: 65, accent: true),
                Point(t: 200, half: 8), Point(t: 240, half: 8), Point(t: 240, half: 150), Point(t: 1000, half: 160),
            ]
        case .vase(let seed):
            Self.vaseProfile(seed: seed)
        }
    }

    /// Points approximating a circle (an ellipse if `widthScale` is not 1000) between two rows.
    private static func arc(
        center: Int, radius: Int, from start: Int, to end: Int, widthScale: Int, accent: Bool = false
    ) -> [Point] {
        stride(from: start, through: end, by: max(1, (end - start) / 12)).map { t in
            let offset = Double(t - center) / Double(radius)
            // sqrt is correctly rounded in IEEE 754, so this is the same on every platform.
            let half = Double(radius) * (max(0, 1 - offset * offset)).squareRoot()
            return Point(t: t, half: Int(half) * widthScale / 1000, accent: accent)
        }
    }

    /// A vase-like profile from six hashed half widths: a neck, a shoulder, a body and a foot.
    private static func vaseProfile(seed: UInt64) -> [Point] {
        var random = SplitMix64(seed: seed)
        let rows = [0, 120, 300, 560, 820, 1000]
        return rows.enumerated().map { index, t in
            let range = index == 0 ? 40...140 : index == 1 ? 30...110 : 90...330
            return Point(t: t, half: random.next(in: range), accent: index == 0 && random.next(in: 0...1) == 1)
        }
    }
}
