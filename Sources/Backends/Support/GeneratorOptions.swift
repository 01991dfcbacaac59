import Chain
import Formats

/// Typed access to a plan's `generator.options`, with errors that name the option.
///
/// Every accessor returns the default when the option is absent and throws a permanent
/// ``GeneratorError`` when it is present with the wrong type or out of range.
struct GeneratorOptions: Sendable {
    /// The raw options.
    let values: [String: JSONValue]

    init(_ values: [String: JSONValue]) {
        self.values = values
    }

    /// A number `> 0` (or `>= 0` when `allowZero`), or `defaultValue` when absent.
    func number(_ name: String, default defaultValue: Double, allowZero: Bool = false) throws(GeneratorError) -> Double
    {
        guard let value = values[name] else { return defaultValue }
        guard case .number(let number) = value, number.isFinite, allowZero ? number >= 0 : number > 0 else {
            throw GeneratorError("options.\(name) must be a \(allowZero ? "non-negative" : "positive") number")
        }
        return number
    }

    /// A whole number `>= 0`, or `defaultValue` when absent.
    func count(_ name: String, default defaultValue: Int) throws(GeneratorError) -> Int {
        guard let value = values[name] else { return defaultValue }
        guard case .number(let number) = value, number >= 0, number <= 1_000_000, number == number.rounded() else {
            throw GeneratorError("options.\(name) must be a whole number >= 0")
        }
        return Int(number)
    }

    /// A non-empty string, or `nil` when absent.
    func string(_ name: String) throws(GeneratorError) -> String? {
        guard let value = values[name] else { return nil }
        guard case .string(let text) = value, !text.isEmpty else {
            throw GeneratorError("options.\(name) must be a non-empty string")
        }
        return text
    }

    /// A non-empty array of strings, or `nil` when absent.
    func strings(_ name: String) throws(GeneratorError) -> [String]? {
        guard let value = values[name] else { return nil }
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw GeneratorError("options.\(name) must be a non-empty array of strings")
        }
        var result: [String] = []
        for element in elements {
            guard case .string(let text) = element else {
                throw GeneratorError("options.\(name) must be a non-empty array of strings")
            }
            result.append(text)
        }
        return result
    }

    /// A duration given in seconds, or `defaultValue` seconds when absent.
    func seconds(_ name: String, default defaultValue: Double) throws(GeneratorError) -> Duration {
        .milliseconds(Int64((try number(name, default: defaultValue) * 1000).rounded(.up)))
    }

    /// A duration given in milliseconds, or `defaultValue` milliseconds when absent.
    func milliseconds(_ name: String, default defaultValue: Double) throws(GeneratorError) -> Duration {
        .milliseconds(Int64(try number(name, default: defaultValue, allowZero: true).rounded(.up)))
    }

    /// Throws if an option is not in `known`, naming it and the backend.
    func checkKnown(_ known: Set<String>, backend: String) throws(GeneratorError) {
        for name in values.keys.sorted() where !known.contains(name) {
            throw GeneratorError(
                "unknown option \"\(name)\" for backend \(backend) (expected \(known.sorted().joined(separator: ", ")))"
            )
        }
    }
}
