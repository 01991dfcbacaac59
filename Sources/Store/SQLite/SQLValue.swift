/// A value stored in or read from a SQLite column.
public enum SQLValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double.
    case real(Double)
    /// UTF-8 text.
    case text(String)
    /// Bytes.
    case blob([UInt8])
}

/// Types that can be bound to a statement parameter.
public protocol SQLBindable: Sendable {
    /// The value to bind.
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Digest: SQLBindable { public var sqlValue: SQLValue { .text(description) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One result row, read by column index.
public struct Row: Sendable, Hashable {
    /// The row's values in column order.
    public let values: [SQLValue]

    /// Creates a row.
    public init(values: [SQLValue]) { self.values = values }

    /// The text at `index`, or `nil` for NULL (integers and reals are converted to text).
    public func string(_ index: Int) -> String? {
        switch values[index] {
        case .text(let s): s
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .null: nil
        }
    }

    /// The integer at `index`, or `nil` for NULL or non-integers.
    public func int(_ index: Int) -> Int? {
        switch values[index] {
        case .integer(let i): Int(i)
        case .real(let d): Int(d)
        default: nil
        }
    }

    /// The number at `index` as a double, or `nil` for NULL or non-numbers.
    public func double(_ index: Int) -> Double? {
        switch values[index] {
        case .integer(let i): Double(i)
        case .real(let d): d
        default: nil
        }
    }

    /// The digest at `index`, or `nil` for NULL or text that is not a digest.
    public func digest(_ index: Int) -> Digest? {
        string(index).flatMap { Digest(parsing: $0) }
    }

    /// The bytes at `index` (a BLOB, or the UTF-8 of a TEXT), or `nil` for NULL.
    public func bytes(_ index: Int) -> [UInt8]? {
        switch values[index] {
        case .blob(let b): b
        case .text(let s): Array(s.utf8)
        default: nil
        }
    }
}
