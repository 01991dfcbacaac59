/// Hashes files in fixed-size chunks, so memory never grows with a file's size.
public enum FileHasher {
    /// The chunk size used for streaming reads and copies.
    public static let chunkSize = 1 << 20

    /// Hashes the regular file at `path`.
    ///
    /// - Parameter path: The file to hash.
    /// - Returns: The digest and the number of bytes read.
    /// - Throws: ``StoreError`` with code `notFound` for a missing file, `invalidInput` for a directory or other
    ///   non-regular file, `io` for a read error.
    public static func hash(fileAt path: String) throws(StoreError) -> (digest: Digest, size: Int) {
        let handle = try openRegularFile(path)
        var hasher = SHA256()
        var size = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do { count = try handle.read(into: buffer) } catch { throw .io("read", path, error) }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            size += count
        }
        return (hasher.finalize(), size)
    }

    /// Opens `path` for reading and checks that it is a regular file.
    static func openRegularFile(_ path: String) throws(StoreError) -> FileHandle {
        let handle: FileHandle
        do {
            handle = try FileHandle.open(forReadingAt: path)
        } catch .notFound {
            throw StoreError(code: .notFound, message: "\(path): no such file")
        } catch {
            throw .io("cannot open", path, error)
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
