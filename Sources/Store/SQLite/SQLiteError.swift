import CSQLite

/// A SQLite result code (primary or extended), like GRDB's `ResultCode`.
///
/// Related SQLite documentation: <https://www.sqlite.org/rescode.html>
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The raw extended result code.
    public let rawValue: Int32

    /// Creates a result code.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary result code (the low 8 bits of an extended one).
    public var primaryResultCode: ResultCode { ResultCode(rawValue: rawValue & 0xFF) }

    /// Generic error (`SQLITE_ERROR`).
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    /// The database file is locked by another connection (`SQLITE_BUSY`).
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    /// A table is locked (`SQLITE_LOCKED`).
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    /// An attempt to write a read-only database (`SQLITE_READONLY`).
    public static let readOnly = ResultCode(rawValue: SQLITE_READONLY)
    /// A disk I/O error (`SQLITE_IOERR`).
    public static let ioError = ResultCode(rawValue: SQLITE_IOERR)
    /// The database disk image is malformed (`SQLITE_CORRUPT`).
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    /// The database file cannot be opened (`SQLITE_CANTOPEN`).
    public static let cantOpen = ResultCode(rawValue: SQLITE_CANTOPEN)
    /// A constraint was violated (`SQLITE_CONSTRAINT`).
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    /// The file is not a database (`SQLITE_NOTADB`).
    public static let notADatabase = ResultCode(rawValue: SQLITE_NOTADB)
    /// A PRIMARY KEY constraint was violated (`SQLITE_CONSTRAINT_PRIMARYKEY`).
    public static let constraintPrimaryKey = ResultCode(rawValue: 1555)
    /// A FOREIGN KEY constraint was violated (`SQLITE_CONSTRAINT_FOREIGNKEY`).
    public static let constraintForeignKey = ResultCode(rawValue: 787)

    public var description: String { String(rawValue) }

    /// Matches an extended code against a primary one: `case .constraint:` catches 1555 too.
    public static func ~= (pattern: ResultCode, code: ResultCode) -> Bool {
        pattern == code || (pattern.rawValue <= 0xFF && pattern == code.primaryResultCode)
    }
}

/// An error reported by SQLite, with its result code, message and the SQL that failed.
///
/// Prints as ``SQLite error 1555: UNIQUE constraint failed: blobs.digest - while executing `INSERT …` ``.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code.
    public let code: ResultCode
    /// The message from `sqlite3_errmsg`, if any.
    public let message: String?
    /// The SQL being executed, if any.
    public let sql: String?

    /// Creates an error.
    public init(code: ResultCode, message: String? = nil, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(code.rawValue)"
        if let message { text += ": \(message)" }
        if let sql { text += " - while executing `\(sql)`" }
        return text
    }

}

/// Matches an error against a result code, so callers can write `catch SQLiteError.constraint`.
public func ~= (pattern: ResultCode, error: any Error) -> Bool {
    guard let error = error as? SQLiteError else { return false }
    return pattern ~= error.code
}

extension SQLiteError {
    /// `catch SQLiteError.constraint` and friends, as in GRDB.
    public static let constraint = ResultCode.constraint
    /// A busy database.
    public static let busy = ResultCode.busy
    /// A file that is not a database.
    public static let notADatabase = ResultCode.notADatabase
    /// A corrupt database.
    public static let corrupt = ResultCode.corrupt
}
