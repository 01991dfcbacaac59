import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A framechain store: content-addressed blobs on disk and their lineage in SQLite (SPEC §4).
///
/// A `Store` is safe to share between tasks: its one database connection sits behind a mutex, and blob files
/// are written atomically. Several processes may open the same store at once (WAL mode, busy timeout,
/// immediate write transactions).
public final class Store: Sendable {
    /// The store's directory.
    public let directory: String
    let blobs: BlobStore
    private let connection: Mutex<Database>

    /// The default store location, `./.framechain`.
    public static let defaultDirectory = ".framechain"

    /// The store format version this framechain writes (the number of schema migrations).
    public static var schemaVersion: Int { Schema.version }

    // MARK: - Opening

    /// Opens the store in `directory`, creating it (mode 0700) and migrating its database as needed.
    ///
    /// - Parameter directory: The store directory.
    /// - Throws: ``StoreError`` if the directory cannot be created or the database cannot be opened.
    public init(directory: String) throws(StoreError) {
        self.directory = directory
        self.blobs = BlobStore(root: directory)
        try blobs.createLayout()
        let database: Database
        do {
            database = try Database(path: directory + "/framechain.sqlite")
            try Schema.migrator.migrate(database)
        } catch let error as SQLiteError {
            throw .database(error)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .database, message: "store database: \(error)")
        }
        self.connection = Mutex(database)
    }

    // MARK: - Database access

    /// Runs `body` with the connection (no transaction: each statement is atomic on its own).
    package func read<T: Sendable>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try withConnection { db in try body(db) }
    }

    /// Runs `body` inside one read transaction: every read it makes sees one snapshot, and SQLite takes its
    /// shared-memory read lock once instead of once per statement (a `status` of 30,000 links makes as many
    /// lookups). `body` must not write to the store.
    public func readingSnapshot<T>(_ body: () throws -> T) throws -> T {
        try read { db in try db.execute("BEGIN DEFERRED") }
        let result: T
        do {
            result = try body()
        } catch {
            _ = try? read { db in try db.execute("ROLLBACK") }
            throw error
        }
        try read { db in try db.execute("COMMIT") }
        return result
    }

    /// Runs `body` in an immediate write transaction, committing if it returns.
    package func write<T: Sendable>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try withConnection { db in try db.write { try body(db) } }
    }

    private func withConnection<T: Sendable>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        let result: Result<T, StoreError> = connection.withLock { db in
            do {
                return .success(try body(db))
            } catch let error as StoreError {
                return .failure(error)
            } catch let error as SQLiteError {
                return .failure(.database(error))
            } catch {
                return .failure(StoreError(code: .database, message: "\(error)"))
            }
        }
        return try result.get()
    }

    // MARK: - Blobs

    /// The file path of a blob (which may not exist).
    public func path(of digest: Digest) -> String { blobs.path(for: digest) }

    /// Stores the bytes of the regular file at `path`, streaming, and records the blob.
    ///
    /// Putting a blob that is already stored changes nothing.
    /// - Returns: The blob's record.
    /// - Throws: ``StoreError`` `notFound` for a missing file, `invalidInput` for a directory, `io`, `database`.
    @discardableResult
    public func put(contentsOf path: String) throws(StoreError) -> BlobRecord {
        try put(files: [path])[0]
    }

    /// Stores several files in one batch: each is staged and fsynced, then all are renamed into place with one
    /// fsync per directory, then recorded in one transaction.
    ///
    /// Nothing is recorded unless every file could be read.
    public func put(files paths: [String]) throws(StoreError) -> [BlobRecord] {
        var staged: [StagedBlob] = []
        do {
            for path in paths { staged.append(try blobs.stage(fileAt: path)) }
        } catch {
            blobs.discard(staged)
            throw error
        }
        return try publishAndRecord(staged)
    }

    /// Stores `bytes` and records the blob.
    @discardableResult
    public func put(bytes: [UInt8]) throws(StoreError) -> BlobRecord {
        // Bytes in memory hash cheaply: skip the staging write and its fsync when the blob is already stored.
        if let existing = try storedRecord(of: SHA256.hash(data: bytes), size: bytes.count) { return existing }
        let staged = try blobs.stage(bytes: bytes)
        return try publishAndRecord([staged])[0]
    }

    /// Stores the file at `path` unless a blob with its content is already stored, in which case nothing is
    /// written. The file is read twice when it is new, so this suits small files that are usually present
    /// (a plan's initial image); ``put(files:)`` reads each file once.
    @discardableResult
    public func putIfAbsent(contentsOf path: String) throws(StoreError) -> BlobRecord {
        let (digest, size) = try FileHasher.hash(fileAt: path)
        if let existing = try storedRecord(of: digest, size: size) { return existing }
        return try put(contentsOf: path)
    }

    /// The record of `digest` when its row exists and its file is in place with the recorded size.
    private func storedRecord(of digest: Digest, size: Int) throws(StoreError) -> BlobRecord? {
        guard let record = try blob(for: digest), record.size == size,
            let info = try? FileSystem.status(at: blobs.path(for: digest)), Int(info.st_size) == size
        else { return nil }
        return record
    }

    private func publishAndRecord(_ staged: [StagedBlob]) throws(StoreError) -> [BlobRecord] {
        do {
            try blobs.publish(staged)
        } catch {
            blobs.discard(staged)
            throw error
        }
        let now = Timestamp.now()
        let records = staged.map {
            BlobRecord(digest: $0.digest, size: $0.size, mediaType: $0.mediaType, createdAt: now)
        }
        let blobs = self.blobs
        try write { db in
            for record in records {
                try Self.insert(record, into: db)
                try Self.requireFile(of: record.digest, in: blobs)
            }
        }
        return records
    }

    /// Checks, inside the write transaction that records a blob, that its file is still in place: `gc` deletes
    /// files only inside its own write transaction, so a file that passes this check cannot be removed before the
    /// row commits, and a row is never recorded without its file.
    static func requireFile(of digest: Digest, in blobs: BlobStore) throws(StoreError) {
        guard FileSystem.exists(blobs.path(for: digest)) else {
            throw StoreError(
                code: .io,
                message: "blob \(digest) was removed while it was being stored (by a concurrent gc?); run the command again")
        }
    }

    /// Records a blob row (a no-op if the digest is already recorded). The file must already be in place.
    static func insert(_ record: BlobRecord, into db: Database) throws {
        try db.execute(
            "INSERT OR IGNORE INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?)",
            record.digest, record.size, record.mediaType?.mimeType, record.createdAt)
    }

    /// The record of a stored blob, or `nil` if the digest is not recorded.
    public func blob(for digest: Digest) throws(StoreError) -> BlobRecord? {
        try read { db in
            try db.row("SELECT digest, size, media_type, created_at FROM blobs WHERE digest = ?", digest)
                .map(BlobRecord.init(row:))
        }
    }

    /// Whether a blob is recorded and its file exists (its content is not checked).
    public func contains(_ digest: Digest) throws(StoreError) -> Bool {
        try blob(for: digest) != nil && FileSystem.exists(blobs.path(for: digest))
    }

    /// Reads a whole blob for use, verifying it against its digest.
    ///
    /// - Throws: ``StoreError`` `notFound` if missing, `integrity` if its bytes do not match.
    public func contents(of digest: Digest) throws(StoreError) -> [UInt8] {
        try blobs.contents(of: digest)
    }

    /// Copies a blob into a new file at `path`, verifying it in the same pass; nothing corrupt ever appears at
    /// `path` (the bytes go through `path.partial`). A file already at `path` is replaced.
    ///
    /// - Throws: ``StoreError`` `notFound`, `integrity`, or `io` when `path` cannot be written.
    public func copy(_ digest: Digest, toFileAt path: String) throws(StoreError) {
        try blobs.copy(digest, toFileAt: path)
    }

    /// Whether a blob is recorded and its file present, reading the file once to check it.
    ///
    /// - Returns: `false` when the row or the file is missing.
    /// - Throws: ``StoreError`` `integrity` when the file's bytes do not match the digest.
    public func isIntact(_ digest: Digest) throws(StoreError) -> Bool {
        guard try blob(for: digest) != nil, let stored = try blobs.storedDigest(of: digest) else { return false }
        guard stored.digest == digest else {
            throw StoreError(code: .integrity, message: "blob \(digest) is corrupt: its bytes do not match its digest")
        }
        return true
    }

    /// Streams a verified blob to `body` in chunks of at most 1 MiB; nothing from a corrupt blob is passed on.
    public func stream(_ digest: Digest, to body: (UnsafeRawBufferPointer) throws(StoreError) -> Void)
        throws(StoreError)
    {
        try blobs.stream(digest, to: body)
    }
}

/// A row of the `blobs` table.
public struct BlobRecord: Sendable, Hashable {
    /// The blob's digest.
    public let digest: Digest
    /// Its size in bytes.
    public let size: Int
    /// Its media type when it is a recognised image.
    public let mediaType: MediaType?
    /// When it was first stored (RFC 3339, UTC).
    public let createdAt: String

    /// Creates a record.
    public init(digest: Digest, size: Int, mediaType: MediaType?, createdAt: String) {
        self.digest = digest
        self.size = size
        self.mediaType = mediaType
        self.createdAt = createdAt
    }

    init(row: Row) {
        self.init(
            digest: row.digest(0)!, size: row.int(1) ?? 0, mediaType: row.string(2).flatMap(MediaType.init(rawValue:)),
            createdAt: row.string(3) ?? "")
    }
}

/// RFC 3339 UTC timestamps with millisecond precision, e.g. `2026-11-25T17:43:46.123Z`.
public enum Timestamp {
    /// The current time.
    public static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let millis = Int32(spec.tv_nsec / 1_000_000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
    }
}
