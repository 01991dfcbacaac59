import ArgumentParser

/// Whole-number option values with a documented valid range, so that a bad value says what would be accepted.
///
/// Used as an `@Option(transform:)`: swift-argument-parser then reports
/// `The value '0' is invalid for '--jobs <n>': give a whole number from 1 to 256.` and exits with status 64.
enum OptionValue {
    /// The range of `--jobs` (run, verify).
    static let jobs = 1...256
    /// The range of `gc --grace`, in seconds (up to ten years).
    static let grace = 0...315_360_000

    /// Parses `text` as a whole number within `range`.
    ///
    /// - Throws: `ValidationError` naming the range when `text` is not a whole number or falls outside it.
    static func integer(_ text: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ValidationError("give a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
