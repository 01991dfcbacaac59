import FrameChainTestKit
import Testing

@testable import Store

@Suite struct MigratorTests {
    @Test func theStoreRecordsEachMigrationOnce() throws {
        try withTemporaryDirectory { (directory) throws in
            let root = directory + "/store"
            _ = try Store(directory: root)
            _ = try Store(directory: root)
            let db = try Database(path: root + "/framechain.sqlite")
            let applied = try db.rows("SELECT identifier FROM schema_migrations ORDER BY rowid").compactMap {
                $0.string(0)
            }
            #expect(applied == Schema.migrator.identifiers)
            #expect(applied.count == Store.schemaVersion)
        }
    }

    @Test func migrationsRunInOrderAndOnlyOnce() throws {
        try withTemporaryDirectory { (directory) throws in
            var migrator = Migrator()
            migrator.register("one") { db in try db.execute("CREATE TABLE log (step TEXT)") }
            migrator.register("two") { db in try db.execute("INSERT INTO log VALUES ('two')") }
            let db = try Database(path: directory + "/db.sqlite")
            try migrator.migrate(db)
            try migrator.migrate(db)
            #expect(try db.rows("SELECT step FROM log").compactMap { $0.string(0) } == ["two"])

            migrator.register("three") { db in try db.execute("INSERT INTO log VALUES ('three')") }
            try migrator.migrate(db)
            #expect(try db.rows("SELECT step FROM log ORDER BY rowid").compactMap { $0.string(0) } == ["two", "three"])
        }
    }

    @Test func aFailingMigrationIsRolledBackAndNotRecorded() throws {
        struct Boom: Error {}
        try withTemporaryDirectory { (directory) throws in
            var migrator = Migrator()
            migrator.register("broken") { db in
                try db.execute("CREATE TABLE half (x)")
                throw Boom()
            }
            let db = try Database(path: directory + "/db.sqlite")
            #expect(throws: Boom.self) { try migrator.migrate(db) }
            #expect(try db.row("SELECT count(*) FROM sqlite_master WHERE name = 'half'")?.int(0) == 0)
            #expect(try db.row("SELECT count(*) FROM schema_migrations")?.int(0) == 0)
        }
    }

    @Test func aStoreWithAnUnknownMigrationDoesNotOpen() throws {
        try withTemporaryDirectory { (directory) throws in
            let root = directory + "/store"
            _ = try Store(directory: root)
            let db = try Database(path: root + "/framechain.sqlite")
            try db.execute("INSERT INTO schema_migrations (identifier) VALUES ('v999-from-the-future')")

            let error = #expect(throws: StoreError.self) { try Store(directory: root) }
            #expect(error?.code == .unsupportedFormat)
            #expect(
                error?.description
                    == "the store was written by a newer framechain (unknown migrations: v999-from-the-future)")
        }
    }
}
