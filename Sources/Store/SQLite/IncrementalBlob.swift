import CSQLite

/// One BLOB value opened for incremental I/O: read or written in chunks, never loaded whole.
///
/// Bundles keep blob bytes in a SQLite column; a clip can be hundreds of megabytes, so export writes it into a
/// `zeroblob(n)` placeholder chunk by chunk and import reads it back the same way.
/// The corresponding C functions are `sqlite3_blob_open`, `sqlite3_blob_read`, `sqlite3_blob_write` and
/// `sqlite3_blob_close`. Related SQLite documentation: <https://www.sqlite.org/c3ref/blob_open.html>
final class IncrementalBlob {
    private let handle: OpaquePointer
    private let database: Database
    private var isOpen = true
    /// The value's size in bytes.
    let size: Int

    /// Opens the value of `column` in the row `row` of `table` (in the main database).
    ///
    /// - Throws: ``SQLiteError`` when the row does not exist or the value is not a BLOB or TEXT.
    init(database: Database, table: String, column: String, row: Int64, writable: Bool) throws(SQLiteError) {
        var blob: OpaquePointer?
        let code = sqlite3_blob_open(database.handle, "main", table, column, row, writable ? 1 : 0, &blob)
        guard code == SQLITE_OK, let blob else {
            throw SQLiteError(
                code: ResultCode(rawValue: sqlite3_extended_errcode(database.handle)),
                message: String(cString: sqlite3_errmsg(database.handle)))
        }
        self.handle = blob
        self.database = database
        self.size = Int(sqlite3_blob_bytes(blob))
    }

    deinit { close() }

    /// Closes the handle (a transaction cannot commit while one is open); later reads and writes fail.
    func close() {
        guard isOpen else { return }
        isOpen = false
        sqlite3_blob_close(handle)
    }

    /// Reads `buffer.count` bytes starting at `offset`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SQLiteError) {
        guard !buffer.isEmpty else { return }
        guard isOpen else { throw SQLiteError(code: .error, message: "the blob handle is closed") }
        let code = sqlite3_blob_read(handle, buffer.baseAddress, Int32(buffer.count), Int32(offset))
        guard code == SQLITE_OK else { throw failure(code) }
    }

    /// Writes `chunk` at `offset` (the value's size cannot change: it was created with `zeroblob(n)`).
    func write(_ chunk: UnsafeRawBufferPointer, at offset: Int) throws(SQLiteError) {
        guard !chunk.isEmpty else { return }
        guard isOpen else { throw SQLiteError(code: .error, message: "the blob handle is closed") }
        let code = sqlite3_blob_write(handle, chunk.baseAddress, Int32(chunk.count), Int32(offset))
        guard code == SQLITE_OK else { throw failure(code) }
    }

    /// Calls `body` with the value's bytes, `chunkSize` at a time, in order.
    func forEachChunk(
        chunkSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < size {
            let count = min(chunkSize, size - offset)
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            do { try read(into: slice, at: offset) } catch {
                throw StoreError(code: .io, message: "cannot read a bundle blob: \(error)")
            }
            try body(UnsafeRawBufferPointer(slice))
            offset += count
        }
    }

    private func failure(_ code: Int32) -> SQLiteError {
        SQLiteError(code: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(database.handle)))
    }
}

extension Database {
    /// The rowid of the last row inserted on this connection. The corresponding C function is
    /// `sqlite3_last_insert_rowid`.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}
