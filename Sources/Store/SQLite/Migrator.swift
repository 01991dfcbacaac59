/// Applies append-only schema migrations, recording each in `schema_migrations`.
///
/// Each migration runs in its own immediate transaction, so two processes opening a new store at once
/// apply it exactly once. A shipped migration is never edited: a change is a new migration.
/// Modelled on GRDB's `DatabaseMigrator`.
package struct Migrator: Sendable {
    private var migrations: [(identifier: String, body: @Sendable (Database) throws -> Void)] = []

    /// Creates an empty migrator.
    package init() {}

    /// Registers a migration; identifiers must be unique and are applied in registration order.
    package mutating func register(_ identifier: String, _ body: @escaping @Sendable (Database) throws -> Void) {
        precondition(!migrations.contains { $0.identifier == identifier }, "duplicate migration \(identifier)")
        migrations.append((identifier, body))
    }

    /// The identifiers of every registered migration, in order.
    package var identifiers: [String] { migrations.map(\.identifier) }

    /// Applies every migration not yet recorded in the database.
    ///
    /// - Throws: ``SQLiteError``, or ``StoreError`` when the database was written by a newer framechain.
    package func migrate(_ db: Database) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        for migration in migrations {
            try db.inTransaction(.immediate) {
                let done = try db.row("SELECT 1 FROM schema_migrations WHERE identifier = ?", migration.identifier)
                if done == nil {
                    try migration.body(db)
                    try db.execute("INSERT INTO schema_migrations (identifier) VALUES (?)", migration.identifier)
                }
                return .commit
            }
        }
        let applied = try db.rows("SELECT identifier FROM schema_migrations").compactMap { $0.string(0) }
        let unknown = applied.filter { !identifiers.contains($0) }
        if !unknown.isEmpty {
            throw StoreError(
                code: .unsupportedFormat,
                message:
                    "the store was written by a newer framechain (unknown migrations: \(unknown.joined(separator: ", ")))"
            )
        }
    }
}
