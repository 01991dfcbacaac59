/// Hashes files in fixed-size chunks, so memory never grows with a file's size.
public enum FileHasher {
    /// The chunk size used for streaming reads and copies.
    public static let chunkSize = 1 << 20

    /// Hashes the regular file at `path`.
    ///
    /// - Parameter path: The file to hash.
    /// - Returns: The digest and the number of bytes read.
    /// - Throws: ``StoreError`` with code `notFound` for a missing file, `invalidInput` for a directory or other
    ///   non-regular file, a file that cannot be opened for lack of permission, or one whose read fails.
    public static func hash(fileAt path: String) throws(StoreError) -> (digest: Digest, size: Int) {
        try hash(fileAt: path, readFailure: .invalidInput)
    }

    /// Hashes the regular file at `path`, reporting a failed read with `readFailure`: `invalidInput` for a
    /// user's file, `io` for a file of the store.
    static func hash(
        fileAt path: String, readFailure: StoreError.Code
    ) throws(StoreError) -> (digest: Digest, size: Int) {
        let handle = try openRegularFile(path)
        var hasher = SHA256()
        var size = 0
        try forEachChunk(of: handle, path: path, readFailure: readFailure) { (chunk) throws(StoreError) in
            hasher.update(bufferPointer: chunk)
            size += chunk.count
        }
        return (hasher.finalize(), size)
    }

    /// Files of at least this size are read ahead on a helper thread (see ``ReadAheadReader``); smaller ones are
    /// read on the calling thread, where a thread would cost more than it saves.
    static let readAheadThreshold = 4 * chunkSize

    /// Calls `body` with each chunk (at most ``chunkSize`` bytes) of an open file, from its current offset.
    ///
    /// - Parameters:
    ///   - handle: The open file.
    ///   - path: Its path, for messages.
    ///   - readFailure: The error code of a failed read: `invalidInput` for a user's file, `io` for the store's.
    ///   - body: Called with each chunk; a chunk is valid only during the call.
    static func forEachChunk(
        of handle: FileHandle, path: String, readFailure: StoreError.Code,
        _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        let failure = { (error: Errno) in
            StoreError(code: readFailure, message: "\(path): read: \(error)", cause: error)
        }
        let size = (try? handle.status()).map { Int($0.st_size) } ?? 0
        if size >= readAheadThreshold {
            try ReadAheadReader.forEachChunk(of: handle, chunkSize: chunkSize, readFailure: failure, body)
        } else {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
            defer { buffer.deallocate() }
            try ReadAheadReader.readSequentially(handle: handle, buffer: buffer, readFailure: failure, body)
        }
    }

    /// Checks that `path` is a regular file that can be opened for reading, without reading it.
    ///
    /// - Throws: ``StoreError``, as ``hash(fileAt:)`` does for opening.
    package static func checkRegularFile(at path: String) throws(StoreError) {
        _ = try openRegularFile(path)
    }

    /// Opens `path` for reading and checks that it is a regular file.
    ///
    /// A missing file (or a path through a non-directory) is `notFound`; a file that may not be opened
    /// (permissions, a symbolic-link loop, a name too long) is `invalidInput`; anything else is `io`.
    static func openRegularFile(_ path: String) throws(StoreError) -> FileHandle {
        let handle: FileHandle
        do {
            handle = try FileHandle.open(forReadingAt: path)
        } catch {
            switch error {
            case Errno.notFound, Errno.notDirectory:
                throw StoreError(code: .notFound, message: "\(path): no such file")
            case Errno.permissionDenied, Errno.notPermitted, Errno.tooManySymbolicLinks, Errno.nameTooLong:
                throw StoreError(code: .invalidInput, message: "\(path): cannot open: \(error)", cause: error)
            default:
                throw .io("cannot open", path, error)
            }
        }
        let info: stat
        do { info = try handle.status() } catch { throw .io("cannot stat", path, error) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "is a directory" : "is not a regular file"
            throw StoreError(code: .invalidInput, message: "\(path): \(kind)")
        }
        return handle
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
