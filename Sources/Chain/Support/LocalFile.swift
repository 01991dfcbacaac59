#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads small local files (plans, the first bytes of images) with plain POSIX calls.
///
/// Only regular files are read: a directory, a FIFO or a device is reported before it is opened, so
/// reading can never block on a pipe.
enum LocalFile {
    /// Why a file could not be read.
    enum ReadError: Error, Equatable {
        /// Nothing exists at the path (or a path component is not a directory).
        case notFound
        /// The path names a directory.
        case isDirectory
        /// The path names something other than a regular file or a directory.
        case notRegularFile
        /// A system call failed with this `errno` description.
        case system(String)

        /// A short lowercase description, e.g. `no such file`.
        var reason: String {
            switch self {
            case .notFound: "no such file"
            case .isDirectory: "is a directory"
            case .notRegularFile: "not a regular file"
            case .system(let message): "cannot read: \(message)"
            }
        }
    }

    /// Reads a whole regular file.
    ///
    /// - Parameter path: The file's path.
    /// - Returns: The file's bytes.
    /// - Throws: ``ReadError``.
    static func readAll(_ path: String) throws(ReadError) -> [UInt8] {
        try load(path, limit: nil)
    }

    /// Reads at most `count` bytes from the start of a regular file.
    ///
    /// - Parameters:
    ///   - path: The file's path.
    ///   - count: The most bytes to read.
    /// - Returns: The first bytes of the file (fewer if the file is shorter).
    /// - Throws: ``ReadError``.
    static func readPrefix(_ path: String, count: Int) throws(ReadError) -> [UInt8] {
        try load(path, limit: count)
    }

    private static func load(_ path: String, limit: Int?) throws(ReadError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .notFound }
            throw .system(describe(code))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .isDirectory
        default: throw .notRegularFile
        }

        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw .system(describe(errno)) }
        defer { _ = close(descriptor) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while limit.map({ bytes.count < $0 }) ?? true {
            let wanted = min(chunk.count, limit.map { $0 - bytes.count } ?? chunk.count)
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .system(describe(errno))
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return bytes
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
