/// A plan file that cannot be used: unreadable, not JSON, not a valid `framechain.plan/v1`, or with an
/// unusable initial reference image.
///
/// Every error names the plan file, and the JSON path of the offending value when there is one
/// (`scenes[2].start`, `generator.params`, `initial_reference`); syntax errors name the line and column
/// instead. The ``description`` is stable and has one of these forms:
///
///     plans/ad.json: no such file
///     plans/ad.json:3:17: expected ',' or '}' after object member, found '"'
///     plans/ad.json: scenes[2].start: expected a non-empty string, found number
///
/// The command-line tool reports every `PlanError` as invalid input (exit code 2).
public struct PlanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The plan file as it was named by the caller.
    public var file: String
    /// The JSON path of the offending value, e.g. `scenes[0].takes.start`; `nil` for problems with the
    /// file as a whole (unreadable, a syntax error, not an object).
    public var path: String?
    /// The 1-based line of a syntax error.
    public var line: Int?
    /// The 1-based column of a syntax error, counted in Unicode scalars.
    public var column: Int?
    /// What is wrong, without the file and path prefix.
    public var message: String

    /// Creates a plan error.
    ///
    /// - Parameters:
    ///   - file: The plan file.
    ///   - path: The JSON path of the offending value, if any.
    ///   - line: The line of a syntax error, if any.
    ///   - column: The column of a syntax error, if any.
    ///   - message: What is wrong.
    public init(file: String, path: String? = nil, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    /// `<file>[:<line>:<column>]: [<path>: ]<message>`.
    public var description: String {
        var text = file
        if let line, let column { text += ":\(line):\(column)" }
        text += ": "
        if let path { text += path + ": " }
        return text + message
    }
}
