import FrameChainTestKit
import Testing

@testable import Store

@Suite struct DatabaseTests {
    private func withDatabase<T>(_ body: (Database, String) throws -> T) throws -> T {
        try withTemporaryDirectory { (directory) throws in
            let path = directory + "/test.sqlite"
            let db = try Database(path: path)
            try db.execute("CREATE TABLE items (name TEXT PRIMARY KEY NOT NULL, size INTEGER NOT NULL)")
            return try body(db, path)
        }
    }

    @Test func opensInWALModeWithForeignKeys() throws {
        try withDatabase { (db, _) throws in
            #expect(try db.row("PRAGMA journal_mode")?.string(0) == "wal")
            #expect(try db.row("PRAGMA foreign_keys")?.int(0) == 1)
            #expect(try db.row("PRAGMA synchronous")?.int(0) == 1)  // NORMAL
        }
    }

    @Test func aDuplicatePrimaryKeyThrowsConstraintError1555() throws {
        try withDatabase { (db, _) throws in
            let insert = "INSERT INTO items (name, size) VALUES (?, ?)"
            try db.execute(insert, "a", 1)
            let error = #expect(throws: SQLiteError.self) { try db.execute(insert, "a", 2) }
            #expect(error?.code == .constraintPrimaryKey)
            #expect(error?.code.rawValue == 1555)
            #expect(
                error?.description
                    == "SQLite error 1555: UNIQUE constraint failed: items.name - while executing `\(insert)`")
        }
    }

    @Test func catchSQLiteErrorConstraintMatchesExtendedCodes() throws {
        try withDatabase { (db, _) throws in
            try db.execute("INSERT INTO items (name, size) VALUES ('a', 1)")
            var caught = false
            do {
                try db.execute("INSERT INTO items (name, size) VALUES ('a', 1)")
            } catch SQLiteError.busy {
                Issue.record("a constraint failure matched .busy")
            } catch SQLiteError.constraint {
                caught = true
            } catch {
                Issue.record("unexpected error \(error)")
            }
            #expect(caught)
        }
    }

    @Test func aForeignKeyViolationIsRejected() throws {
        try withDatabase { (db, _) throws in
            try db.execute("CREATE TABLE parts (item TEXT NOT NULL REFERENCES items(name))")
            let insert = "INSERT INTO parts (item) VALUES (?)"
            let error = #expect(throws: SQLiteError.self) { try db.execute(insert, "nothing") }
            #expect(
                error?.description == "SQLite error 787: FOREIGN KEY constraint failed - while executing `\(insert)`")
        }
    }

    @Test func aSyntaxErrorNamesTheStatement() throws {
        try withDatabase { (db, _) throws in
            let error = #expect(throws: SQLiteError.self) { try db.row("SELEC 1") }
            #expect(error?.description == "SQLite error 1: near \"SELEC\": syntax error - while executing `SELEC 1`")
        }
    }

    @Test func aTransactionRollsBackWhenItsBodyThrows() throws {
        struct Boom: Error {}
        try withDatabase { (db, _) throws in
            #expect(throws: Boom.self) {
                try db.inTransaction {
                    try db.execute("INSERT INTO items (name, size) VALUES ('a', 1)")
                    throw Boom()
                }
            }
            try db.inTransaction {
                try db.execute("INSERT INTO items (name, size) VALUES ('b', 1)")
                return .rollback
            }
            try db.inTransaction {
                try db.execute("INSERT INTO items (name, size) VALUES ('c', 1)")
                return .commit
            }
            #expect(try db.rows("SELECT name FROM items ORDER BY name").compactMap { $0.string(0) } == ["c"])
            // The connection is usable again: no transaction was left open.
            #expect(try db.row("SELECT count(*) FROM items")?.int(0) == 1)
        }
    }

    @Test func writeReturnsTheBodysValueAndCommits() throws {
        try withDatabase { (db, path) throws in
            let changed = try db.write {
                try db.execute("INSERT INTO items (name, size) VALUES ('x', 9)")
                return db.changes
            }
            #expect(changed == 1)
            let other = try Database(path: path)
            #expect(try other.row("SELECT size FROM items WHERE name = 'x'")?.int(0) == 9)
        }
    }

    @Test func statementsAreCachedBySQLText() throws {
        try withDatabase { (db, _) throws in
            let sql = "SELECT size FROM items WHERE name = ?"
            let first = try db.cachedStatement(sql)
            try db.execute("INSERT INTO items (name, size) VALUES ('a', 1), ('b', 2)")
            #expect(try db.row(sql, "a")?.int(0) == 1)
            #expect(try db.row(sql, "b")?.int(0) == 2)
            #expect(try db.cachedStatement(sql) === first)
            #expect(try db.cachedStatement("SELECT 1") !== first)
        }
    }

    @Test func aWrongArgumentCountIsAnError() throws {
        try withDatabase { (db, _) throws in
            let sql = "SELECT size FROM items WHERE name = ?"
            let error = #expect(throws: SQLiteError.self) { try db.row(sql) }
            #expect(error?.description == "SQLite error 1: expected 1 arguments, got 0 - while executing `\(sql)`")
        }
    }

    @Test func aSecondWriterGetsBusyAfterItsTimeout() throws {
        try withDatabase { (db, path) throws in
            let other = try Database(path: path, busyTimeoutMilliseconds: 50)
            try db.execute("BEGIN IMMEDIATE TRANSACTION")
            let error = #expect(throws: SQLiteError.self) { try other.execute("BEGIN IMMEDIATE TRANSACTION") }
            #expect(
                error?.description
                    == "SQLite error 5: database is locked - while executing `BEGIN IMMEDIATE TRANSACTION`")
            // Readers are not blocked by the writer (WAL).
            #expect(try other.row("SELECT count(*) FROM items")?.int(0) == 0)
            try db.execute("COMMIT TRANSACTION")
        }
    }

    @Test func valuesRoundTrip() throws {
        try withDatabase { (db, _) throws in
            try db.execute("CREATE TABLE v (a, b, c, d, e)")
            try db.execute(
                "INSERT INTO v VALUES (?, ?, ?, ?, ?)", SQLValue.null, 42, 1.5, "text", SQLValue.blob([0, 1, 255]))
            let row = try #require(try db.row("SELECT a, b, c, d, e FROM v"))
            #expect(row.values == [.null, .integer(42), .real(1.5), .text("text"), .blob([0, 1, 255])])
        }
    }
}
