import Chain

/// What a procedural image shows, derived from its prompt: a palette, a layout, soft shapes and a subject.
///
/// The derivation is designed so that the look follows the words:
/// - **Colors** named in the prompt (`deep navy, gold accents`) become the dominant, accent and secondary
///   colors, in the order they appear; missing ones come from a hash of the prompt's words.
/// - **Mood** words (`night`, `low-key`, `sunny`) darken or brighten the scene.
/// - The **subject** is the first word naming a known shape (`bottle`, `woman`, `cat`, `rocket`, …); an
///   unknown subject gets a vase-like silhouette hashed from its word.
/// - The **layout** (horizon, light, subject size) comes from the opening sentence's word with the smallest
///   hash, and each **soft shape** from one of the seven words with the smallest hashes (a MinHash sample),
///   so two prompts sharing most of their words share most of their layout and shapes.
/// - **Details** (jitter, sparkles) come from the request key, so another take differs in details only.
struct Composition {
    /// A soft-edged ellipse.
    struct Blob: Hashable {
        var centerX: Int
        var centerY: Int
        var radiusX: Int
        var radiusY: Int
        var color: RGBColor
        /// The opacity at the center, 0…256.
        var opacity: Int
    }

    var width: Int
    var height: Int
    var skyTop: RGBColor
    var skyHorizon: RGBColor
    var groundFar: RGBColor
    var groundNear: RGBColor
    /// The row where sky meets ground.
    var horizon: Int
    /// A light source, added to the background.
    var glow: Blob
    var blobs: [Blob]
    var sparkles: [Blob]
    var subject: SubjectShape
    var subjectCenterX: Int
    var subjectTop: Int
    var subjectHeight: Int
    /// Pixels per thousandth of half width (×1000): usually the subject height, less if it must fit the width.
    var subjectWidthScale: Int
    var subjectColor: RGBColor
    var accentColor: RGBColor
    var rimColor: RGBColor
    var lightFromLeft: Bool
    /// How much the corners darken, 0…256.
    var vignette: Int

    /// Derives the composition of `prompt` at the given size.
    ///
    /// - Parameters:
    ///   - prompt: The full (enhanced) prompt.
    ///   - detailSeed: A seed for details only (from the request key).
    ///   - width: The image width in pixels.
    ///   - height: The image height in pixels.
    init(prompt: String, detailSeed: UInt64, width: Int, height: Int) {
        self.width = width
        self.height = height
        let words = PromptVocabulary.words(in: prompt)
        let contentWords = words.filter(PromptVocabulary.isContentWord)
        let leadWords = Self.leadWords(of: prompt, fallback: contentWords)
        var details = SplitMix64(seed: detailSeed)

        // Palette: named colors first, hashed ones for the rest.
        var named: [RGBColor] = []
        for (index, word) in words.enumerated() {
            guard var color = PromptVocabulary.color(named: word) else { continue }
            if index > 0 { color = PromptVocabulary.adjust(color, by: words[index - 1]) }
            if !named.contains(color) { named.append(color) }
        }
        var paletteRandom = SplitMix64(seed: Self.minHashWord(in: contentWords, seed: 2).hash)
        let hue = paletteRandom.next(in: 0...359)
        let hashed = [
            RGBColor(hue: hue, saturation: paletteRandom.next(in: 130...210), value: paletteRandom.next(in: 120...200)),
            RGBColor(
                hue: hue + paletteRandom.next(in: 140...220), saturation: paletteRandom.next(in: 120...200),
                value: paletteRandom.next(in: 190...245)),
            RGBColor(
                hue: hue + paletteRandom.next(in: 25...60), saturation: paletteRandom.next(in: 90...170),
                value: paletteRandom.next(in: 120...210)),
        ]
        let dominant = named.count > 0 ? named[0] : hashed[0]
        let accent = named.count > 1 ? named[1] : hashed[1]
        let secondary = named.count > 2 ? named[2] : hashed[2]

        // Mood: each distinct word counts once.
        let mood = min(max(Set(words).reduce(0) { $0 + PromptVocabulary.brightness(of: $1) }, -4), 4)
        skyTop = dominant.mixed(with: .black, min(max(150 - mood * 25, 20), 230))
        skyHorizon = dominant.mixed(with: accent, 80).mixed(with: .white, min(max(30 + mood * 18, 0), 150))
        groundFar = dominant.mixed(with: secondary, 90).mixed(with: .black, min(max(120 - mood * 15, 20), 220))
        groundNear = dominant.mixed(with: .black, min(max(205 - mood * 20, 40), 240))
        vignette = min(max(110 - mood * 15, 30), 170)

        // Layout from the opening sentence.
        var layout = SplitMix64(seed: Self.minHashWord(in: leadWords, seed: 1).hash)
        horizon = height * layout.next(in: 54...72) / 100
        let glowX = width * layout.next(in: 15...85) / 100 + width * details.next(in: -4...4) / 100
        let glowY = height * layout.next(in: 12...42) / 100 + height * details.next(in: -3...3) / 100
        let glowRadius = width * layout.next(in: 40...70) / 100
        glow = Blob(
            centerX: glowX, centerY: glowY, radiusX: glowRadius, radiusY: glowRadius * layout.next(in: 80...130) / 100,
            color: accent.mixed(with: .white, 90), opacity: layout.next(in: 120...190) + mood * 8)
        lightFromLeft = glowX < width / 2

        // Subject.
        let subjectWord = words.first { SubjectShape(word: $0) != nil }
        subject =
            subjectWord.flatMap { SubjectShape(word: $0) }
            ?? .vase(StableHash.hash(leadWords.first { PromptVocabulary.color(named: $0) == nil } ?? "", seed: 5))
        subjectHeight = height * (layout.next(in: 42...54) + details.next(in: -2...2)) / 100
        let bottom = min(horizon + subjectHeight * 8 / 100, height - height / 20)
        subjectTop = max(bottom - subjectHeight, height / 20)
        subjectHeight = bottom - subjectTop
        subjectCenterX = width / 2 + width * details.next(in: -2...2) / 100
        let widest = subject.profile.map(\.half).max() ?? 1
        if case .mountain = subject {
            subjectWidthScale = subjectHeight
        } else {
            subjectWidthScale = min(subjectHeight, width * 470 / max(widest, 1))
        }
        subjectColor =
            mood >= 2 ? secondary.mixed(with: .black, 90) : dominant.mixed(with: .black, 175).mixed(with: secondary, 30)
        accentColor = accent
        rimColor = accent.mixed(with: .white, 110)

        // Soft shapes: one per MinHash-sampled word.
        let shapeWords = Self.smallestHashWords(
            in: contentWords.filter { PromptVocabulary.color(named: $0) == nil }, count: 7, seed: 3)
        let palette = [dominant.mixed(with: .white, 70), accent, secondary, skyHorizon]
        blobs = shapeWords.map { word in
            var random = SplitMix64(seed: StableHash.hash(word, seed: 4))
            let radiusX = width * random.next(in: 12...34) / 100
            let slot = random.next(in: 0...4)
            let color =
                slot < palette.count
                ? palette[slot]
                : RGBColor(hue: random.next(in: 0...359), saturation: random.next(in: 100...190), value: 180)
            return Blob(
                centerX: width * random.next(in: 5...95) / 100 + width * details.next(in: -4...4) / 100,
                centerY: height * random.next(in: 5...88) / 100 + height * details.next(in: -3...3) / 100,
                radiusX: radiusX, radiusY: radiusX * random.next(in: 55...150) / 100, color: color,
                opacity: random.next(in: 40...95))
        }
        var sparkles: [Blob] = []
        for _ in 0..<details.next(in: 5...12) {
            let radius = max(1, details.next(in: 2...5) * width / 288)
            sparkles.append(
                Blob(
                    centerX: details.next(in: 0...(width - 1)), centerY: details.next(in: 0...max(0, horizon - 1)),
                    radiusX: radius, radiusY: radius, color: rimColor, opacity: details.next(in: 140...230)))
        }
        self.sparkles = sparkles
    }

    /// The content words of the prompt's first sentence, or `fallback`'s first sixteen if it has fewer than two.
    private static func leadWords(of prompt: String, fallback: [String]) -> [String] {
        let end = prompt.firstIndex { ".!?\n".contains($0) } ?? prompt.endIndex
        let lead = PromptVocabulary.words(in: String(prompt[..<end])).filter(PromptVocabulary.isContentWord)
        return lead.count >= 2 ? lead : Array(fallback.prefix(16))
    }

    /// The word with the smallest hash under `seed` (and that hash); an empty list gives `("", seed)`.
    private static func minHashWord(in words: [String], seed: UInt64) -> (word: String, hash: UInt64) {
        words.map { ($0, StableHash.hash($0, seed: seed)) }.min { $0.1 < $1.1 } ?? ("", StableHash.mix(seed))
    }

    /// The `count` distinct words with the smallest hashes under `seed`, in hash order.
    private static func smallestHashWords(in words: [String], count: Int, seed: UInt64) -> [String] {
        Set(words).map { ($0, StableHash.hash($0, seed: seed)) }.sorted { $0.1 < $1.1 }.prefix(count).map(\.0)
    }
}
