#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The store's SQLite write-ahead log: checkpoints that make `framechain.sqlite` complete on its own, and the
/// check that refuses a store whose `-wal` file was lost while it still held commits.
///
/// Related SQLite documentation: <https://www.sqlite.org/wal.html>, <https://www.sqlite.org/walformat.html>.
extension Store {
    /// What a checkpoint did.
    public struct CheckpointResult: Sendable, Equatable {
        /// Whether another connection kept the checkpoint from finishing.
        public let busy: Bool
        /// Frames (pages) in the write-ahead log before the checkpoint.
        public let logFrames: Int
        /// Frames copied into the main database file.
        public let checkpointedFrames: Int
        /// Whether everything is in `framechain.sqlite` (the log is empty or fully copied).
        public var isComplete: Bool { !busy && checkpointedFrames >= logFrames }
    }

    /// Copies the write-ahead log into `framechain.sqlite`, so the main file alone holds every commit.
    ///
    /// - Parameter waiting: `true` (the `store checkpoint` command) waits, up to the busy timeout, for readers and
    ///   writers of other processes and then empties the log (`TRUNCATE`); `false` (the end of a run) copies what it
    ///   can without waiting (`PASSIVE`).
    /// - Returns: The log's size and how much of it was copied.
    /// - Throws: ``StoreError`` `database` if SQLite fails, for example on a full disk.
    @discardableResult
    public func checkpoint(waiting: Bool) throws(StoreError) -> CheckpointResult {
        try read { db in
            let row = try db.row("PRAGMA wal_checkpoint(\(waiting ? "TRUNCATE" : "PASSIVE"))")
            // Columns: busy (1 if it could not finish), log frames, checkpointed frames; -1 when not in WAL mode.
            return CheckpointResult(
                busy: (row?.int(0) ?? 1) != 0, logFrames: max(row?.int(1) ?? 0, 0),
                checkpointedFrames: max(row?.int(2) ?? 0, 0))
        }
    }

    /// Refuses a store whose `framechain.sqlite-wal` is missing while its `-shm` index says the log held commits
    /// not yet copied into `framechain.sqlite` (a store copied without its `-wal` file, or the file deleted).
    ///
    /// SQLite itself would silently rebuild the index from the missing log and drop those commits, leaving blob
    /// files that no row names; framechain stops before opening the database, so nothing is changed.
    /// - Parameter directory: The store directory.
    /// - Throws: ``StoreError`` `integrity` naming the missing file and what to do.
    static func checkWriteAheadLog(in directory: String) throws(StoreError) {
        let database = directory + "/framechain.sqlite"
        guard FileSystem.exists(database), !FileSystem.exists(database + "-wal"),
            let index = try? FileHandle.open(forReadingAt: database + "-shm")
        else { return }
        defer { try? index.close() }
        // The wal-index header (two copies of 48 bytes, native byte order) then the checkpoint info:
        // mxFrame, the last valid frame, at offset 16; nBackfill, the frames already copied, at offset 96.
        var header = [UInt8](repeating: 0, count: 100)
        let count = header.withUnsafeMutableBytes { raw in (try? index.readFully(into: raw)) ?? 0 }
        guard count == header.count, header[12] != 0 else { return }  // isInit: the index was never initialized
        func word(at offset: Int) -> UInt32 {
            header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        }
        let frames = word(at: 16)
        let copied = word(at: 96)
        guard frames > copied else { return }
        throw StoreError(
            code: .integrity,
            message: "\(database)-wal is missing, but \(database)-shm says it held \(frames - copied) page(s) "
                + "committed after the last checkpoint: opening the store would lose them. Restore the -wal file "
                + "from where the store came from (copy framechain.sqlite, -wal and -shm together, or run "
                + "`framechain store checkpoint` before copying), or delete \(database)-shm to accept the loss and "
                + "run `framechain verify`")
    }
}
