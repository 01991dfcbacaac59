import Chain

/// The words the procedural backend understands: colors, moods, and words too common to mean anything.
///
/// Everything else a prompt says still counts, through stable hashes of its words (see ``Composition``).
enum PromptVocabulary {
    /// Splits `text` into lowercase words of letters and digits (`model's` gives `model` and `s`).
    static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Whether `word` carries meaning (not a stop word and longer than one character).
    static func isContentWord(_ word: String) -> Bool {
        word.count > 1 && !stopWords.contains(word)
    }

    /// The color a word names, if any.
    static func color(named word: String) -> RGBColor? { colors[word] }

    /// How a word shifts the overall brightness: negative for dark moods, positive for bright ones.
    static func brightness(of word: String) -> Int { moods[word] ?? 0 }

    /// How a word before a color changes it: `deep`/`dark` darken, `pale`/`light`/`pastel` lighten.
    static func adjust(_ color: RGBColor, by modifier: String) -> RGBColor {
        switch modifier {
        case "deep", "dark", "dusky", "rich": color.scaled(150)
        case "pale", "light", "pastel", "soft", "faded": color.mixed(with: .white, 110)
        case "bright", "vivid", "neon", "electric": color.mixed(with: .white, 40)
        default: color
        }
    }

    private static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "with", "from", "by", "as",
        "is", "are", "be", "it", "its", "this", "that", "these", "those", "into", "onto", "over", "under",
        "their", "his", "her", "she", "he", "they", "we", "you", "our", "your", "while", "then", "than",
        "very", "so", "such", "if", "when", "where", "which", "who", "all", "any", "each", "every", "some",
        "keep", "same", "previous", "image", "images", "scene", "scenes", "reference", "consistency",
        "consistent", "visual", "identical", "exact", "exactly", "appears", "maintain",
    ]

    private static let colors: [String: RGBColor] = [
        "black": RGBColor(18, 18, 22), "ebony": RGBColor(30, 26, 24), "charcoal": RGBColor(54, 60, 66),
        "white": RGBColor(240, 240, 236), "ivory": RGBColor(240, 234, 214), "cream": RGBColor(238, 226, 196),
        "pearl": RGBColor(226, 222, 212), "gray": RGBColor(128, 130, 134), "grey": RGBColor(128, 130, 134),
        "silver": RGBColor(192, 196, 204), "gold": RGBColor(212, 168, 64), "golden": RGBColor(218, 170, 60),
        "bronze": RGBColor(176, 120, 60), "copper": RGBColor(184, 106, 62), "red": RGBColor(200, 36, 40),
        "crimson": RGBColor(170, 20, 50), "scarlet": RGBColor(220, 40, 30), "burgundy": RGBColor(110, 20, 40),
        "maroon": RGBColor(110, 24, 30), "wine": RGBColor(120, 26, 52), "orange": RGBColor(236, 120, 30),
        "amber": RGBColor(240, 160, 40), "peach": RGBColor(246, 180, 140), "coral": RGBColor(240, 120, 100),
        "yellow": RGBColor(240, 210, 50), "lemon": RGBColor(246, 230, 90), "green": RGBColor(50, 150, 70),
        "emerald": RGBColor(20, 140, 90), "olive": RGBColor(110, 120, 50), "lime": RGBColor(150, 210, 60),
        "mint": RGBColor(160, 226, 190), "teal": RGBColor(20, 128, 128), "turquoise": RGBColor(50, 200, 190),
        "cyan": RGBColor(40, 200, 230), "aqua": RGBColor(70, 210, 220), "blue": RGBColor(40, 90, 200),
        "azure": RGBColor(60, 140, 230), "cobalt": RGBColor(30, 70, 170), "sapphire": RGBColor(20, 50, 150),
        "navy": RGBColor(22, 34, 90), "indigo": RGBColor(60, 30, 130), "purple": RGBColor(120, 50, 160),
        "violet": RGBColor(140, 80, 200), "lavender": RGBColor(180, 160, 220), "magenta": RGBColor(210, 40, 160),
        "pink": RGBColor(240, 140, 180), "rose": RGBColor(220, 100, 130), "brown": RGBColor(110, 70, 40),
        "beige": RGBColor(216, 196, 160), "tan": RGBColor(196, 160, 110), "sepia": RGBColor(150, 110, 70),
    ]

    private static let moods: [String: Int] = [
        "dark": -2, "night": -2, "midnight": -3, "noir": -2, "moody": -1, "shadow": -1, "shadows": -1,
        "shadowy": -1, "mysterious": -1, "dusk": -1, "gloomy": -2, "low": -1, "darkness": -2, "black": -1,
        "bright": 2, "sunny": 2, "daylight": 2, "day": 1, "morning": 1, "noon": 2, "airy": 2, "high": 1,
        "luminous": 1, "dawn": 1, "white": 1, "glowing": 1, "sunlit": 2, "summer": 1, "snow": 2, "snowy": 2,
    ]
}
