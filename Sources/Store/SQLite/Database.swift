import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One SQLite connection: opened in WAL mode with foreign keys, a busy timeout and extended result codes,
/// with a cache of prepared statements keyed by SQL text.
///
/// A `Database` is not thread-safe; ``Store`` owns one behind a mutex. Modelled on GRDB's `Database`.
package final class Database {
    /// The connection handle; never leaves this layer.
    let handle: OpaquePointer
    private var statementCache: [String: Statement] = [:]
    /// The database file's path.
    package let path: String

    // MARK: - Opening

    /// Opens (creating if needed) the database at `path` and configures it.
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - busyTimeoutMilliseconds: How long to wait for another process's lock before failing with `SQLITE_BUSY`.
    ///   - create: Whether a missing file is created.
    /// - Throws: ``SQLiteError`` if the file cannot be opened or is not a database, or WAL cannot be enabled.
    package init(path: String, busyTimeoutMilliseconds: Int32 = 60_000, create: Bool = true) throws(SQLiteError) {
        let connection = try Self.open(path, flags: SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
        self.handle = connection
        self.path = path
        sqlite3_extended_result_codes(connection, 1)
        sqlite3_busy_timeout(connection, busyTimeoutMilliseconds)
        framechain_sqlite3_disable_checkpoint_on_close(connection)
        try setUpWALMode()
        // A 32 MB page cache (the default is 2 MB): a warm run of 30,000 links records as many rows in one
        // transaction, and a smaller cache spills and re-reads its pages through the WAL many times over.
        try execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;")
    }

    /// Opens an existing database read-only (for inspecting a bundle without touching it).
    package init(readOnlyAt path: String) throws(SQLiteError) {
        let connection = try Self.open(path, flags: SQLITE_OPEN_READONLY)
        self.handle = connection
        self.path = path
        sqlite3_extended_result_codes(connection, 1)
    }

    /// Opens a connection without a mutex (the `Store` serializes access).
    ///
    /// The corresponding C function is `sqlite3_open_v2`.
    private static func open(_ path: String, flags: Int32) throws(SQLiteError) -> OpaquePointer {
        var connection: OpaquePointer?
        let code = sqlite3_open_v2(path, &connection, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) }
            sqlite3_close_v2(connection)
            throw SQLiteError(code: ResultCode(rawValue: code), message: message ?? "cannot open \(path)")
        }
        return connection
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    private func setUpWALMode() throws(SQLiteError) {
        // Switching a new database to WAL takes an exclusive lock and SQLite does not call the busy handler for
        // it, so two processes opening a new store at once can see SQLITE_BUSY here: retry with a short pause.
        var mode: String?
        var attempt = 0
        while true {
            do {
                mode = try row("PRAGMA journal_mode = WAL")?.string(0)?.lowercased()
                break
            } catch let error where (error.code ~= .busy || error.code ~= .locked) && attempt < 3000 {
                attempt += 1
                usleep(20_000)
            }
        }
        guard mode == "wal" else {
            throw SQLiteError(code: .error, message: "could not enable WAL mode (journal_mode is \(mode ?? "unknown"))")
        }
    }

    /// Builds an error from a result code and the connection's current message.
    func error(code: Int32, sql: String?) -> SQLiteError {
        SQLiteError(
            code: ResultCode(rawValue: sqlite3_extended_errcode(handle)).rawValue == 0
                ? ResultCode(rawValue: code) : ResultCode(rawValue: sqlite3_extended_errcode(handle)),
            message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    // MARK: - Statements

    /// Returns the cached prepared statement for `sql`, preparing it on first use.
    package func cachedStatement(_ sql: String) throws(SQLiteError) -> Statement {
        if let statement = statementCache[sql] { return statement }
        let statement = try Statement(database: self, sql: sql, persistent: true)
        statementCache[sql] = statement
        return statement
    }

    /// Executes one or more statements without arguments (schema changes, pragmas).
    ///
    /// The corresponding C function is `sqlite3_exec`.
    package func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) }
            sqlite3_free(message)
            throw SQLiteError(code: ResultCode(rawValue: sqlite3_extended_errcode(handle)), message: text, sql: sql)
        }
    }

    /// Executes one statement with arguments, discarding rows.
    package func execute(_ sql: String, _ arguments: any SQLBindable...) throws(SQLiteError) {
        try execute(sql, arguments: arguments)
    }

    /// Executes one statement with an argument array, discarding rows.
    package func execute(_ sql: String, arguments: [any SQLBindable]) throws(SQLiteError) {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        while try statement.step() {}
    }

    /// Fetches every row of a query.
    package func rows(_ sql: String, _ arguments: any SQLBindable...) throws(SQLiteError) -> [Row] {
        var result: [Row] = []
        try forEachRow(sql, arguments: arguments) { result.append($0) }
        return result
    }

    /// Fetches the first row of a query, if any.
    package func row(_ sql: String, _ arguments: any SQLBindable...) throws(SQLiteError) -> Row? {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        return try statement.step() ? statement.currentRow() : nil
    }

    /// Calls `body` for each row of a query without holding all rows in memory.
    package func forEachRow(
        _ sql: String, arguments: [any SQLBindable] = [], _ body: (Row) throws -> Void
    ) throws(SQLiteError) {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        while try statement.step() {
            do {
                try body(statement.currentRow())
            } catch let error as SQLiteError {
                throw error
            } catch {
                throw SQLiteError(code: .error, message: "\(error)", sql: sql)
            }
        }
    }

    /// The number of rows the last statement changed.
    package var changes: Int { Int(sqlite3_changes(handle)) }

    // MARK: - Transactions

    /// How a transaction takes its locks.
    package enum TransactionKind: String {
        /// Takes the write lock at once; every writer uses this, so writers never deadlock on upgrade.
        case immediate = "IMMEDIATE"
        /// Takes locks as needed (for read-only transactions that want one snapshot).
        case deferred = "DEFERRED"
    }

    /// How a transaction closure ends.
    package enum TransactionCompletion {
        case commit
        case rollback
    }

    /// Runs `body` in a transaction that commits when it returns `.commit` and rolls back on `.rollback` or
    /// any thrown error, which is rethrown (the first error wins).
    package func inTransaction(
        _ kind: TransactionKind = .immediate, _ body: () throws -> TransactionCompletion
    ) throws {
        try execute("BEGIN \(kind.rawValue) TRANSACTION")
        let completion: TransactionCompletion
        do {
            completion = try body()
        } catch {
            try? execute("ROLLBACK TRANSACTION")
            throw error
        }
        switch completion {
        case .commit:
            do {
                try execute("COMMIT TRANSACTION")
            } catch {
                try? execute("ROLLBACK TRANSACTION")
                throw error
            }
        case .rollback:
            try execute("ROLLBACK TRANSACTION")
        }
    }

    /// Runs `body` in an immediate transaction that commits if it returns, and returns its value.
    package func write<T>(_ body: () throws -> T) throws -> T {
        var result: T?
        try inTransaction(.immediate) {
            result = try body()
            return .commit
        }
        return result!
    }
}

@available(*, unavailable)
extension Database: Sendable {}

@available(*, unavailable)
extension Statement: Sendable {}
