/// A JSON text that is not valid RFC 8259 / I-JSON, with the position of the first problem.
///
/// Positions are 1-based. Lines are separated by LF, CR LF or a lone CR; columns count Unicode
/// scalars (code points) from the start of the line, so a tab or an `é` is one column, like most
/// editors show it.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The line of the problem, from 1.
    public var line: Int
    /// The column of the problem in Unicode scalars, from 1.
    public var column: Int
    /// The byte offset of the problem in the input, from 0.
    public var offset: Int
    /// What is wrong, e.g. `expected ',' or '}' after object member, found ']'`.
    public var message: String

    /// Creates a syntax error.
    ///
    /// - Parameters:
    ///   - message: What is wrong.
    ///   - line: The 1-based line.
    ///   - column: The 1-based column, in Unicode scalars.
    ///   - offset: The 0-based byte offset.
    public init(_ message: String, line: Int, column: Int, offset: Int) {
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// The error as `<line>:<column>: <message>`, e.g. `3:17: expected ':' after object key, found '='`.
    public var description: String { "\(line):\(column): \(message)" }
}
