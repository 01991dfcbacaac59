#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file descriptor owned by one value; closed in `deinit`.
///
/// The thin layer through which the Store reads, writes, syncs and renames files. Every call retries on
/// `EINTR`. swift-system's `FileDescriptor` covers open/read/write but not `fsync`, directory syncs or
/// `fstat`, which atomic blob writes need, so the few calls we use live here.
package final class FileHandle {
    /// The raw descriptor.
    package let descriptor: Int32
    private var isClosed = false

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        if !isClosed { _ = systemClose(descriptor) }
    }

    /// Opens a file for reading.
    ///
    /// `O_NONBLOCK` keeps the open of a FIFO from waiting forever for a writer (a hostile bundle, plan or blob
    /// path); it changes nothing for regular files, and callers reject anything else after `fstat`.
    ///
    /// The corresponding C function is `open(2)` with `O_RDONLY | O_CLOEXEC | O_NONBLOCK`.
    package static func open(forReadingAt path: String) throws(Errno) -> FileHandle {
        let fd = try valueOrErrno { systemOpen(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0) }.get()
        return FileHandle(descriptor: fd)
    }

    /// Creates a new file that must not exist yet, for writing.
    package static func create(exclusiveAt path: String, mode: mode_t = 0o600) throws(Errno) -> FileHandle {
        let fd = try valueOrErrno { systemOpen(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }.get()
        return FileHandle(descriptor: fd)
    }

    /// Opens a directory so that it can be fsynced.
    package static func open(directoryAt path: String) throws(Errno) -> FileHandle {
        let fd = try valueOrErrno { systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }.get()
        return FileHandle(descriptor: fd)
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of file.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try valueOrErrno { systemRead(descriptor, buffer.baseAddress, buffer.count) }.get()
    }

    /// Reads until `buffer` is full or the file ends; returns the number of bytes read.
    package func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        var total = 0
        while total < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Writes all of `bytes`, looping over short writes.
    package func write(all bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let n = try valueOrErrno {
                systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            }.get()
            offset += n
        }
    }

    /// Flushes the file's data and metadata to stable storage.
    ///
    /// The corresponding C function is `fsync(2)`.
    package func sync() throws(Errno) {
        _ = try valueOrErrno { fsync(descriptor) }.get()
    }

    /// The file's status.
    package func status() throws(Errno) -> stat {
        var info = stat()
        _ = try valueOrErrno { fstat(descriptor, &info) }.get()
        return info
    }

    /// Closes the descriptor now, reporting a failure (which can reveal a lost write).
    package func close() throws(Errno) {
        guard !isClosed else { return }
        isClosed = true
        // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
        _ = try valueOrErrno(retryOnInterrupt: false) { systemClose(descriptor) }.get()
    }
}

/// File-system operations on paths, retried on `EINTR`.
package enum FileSystem {
    /// The status of the file at `path` (not following a final symbolic link when `followLinks` is false).
    package static func status(at path: String, followLinks: Bool = true) throws(Errno) -> stat {
        var info = stat()
        _ = try valueOrErrno { followLinks ? stat(path, &info) : lstat(path, &info) }.get()
        return info
    }

    /// Whether something exists at `path`.
    package static func exists(_ path: String) -> Bool {
        (try? status(at: path, followLinks: false)) != nil
    }

    /// Renames `source` to `destination` atomically, replacing it.
    package static func rename(_ source: String, to destination: String) throws(Errno) {
        _ = try valueOrErrno { systemRename(source, destination) }.get()
    }

    /// Removes a file; a missing file is not an error.
    package static func removeFile(_ path: String) throws(Errno) {
        switch valueOrErrno({ unlink(path) }) {
        case .success, .failure(Errno.notFound): return
        case .failure(let error): throw error
        }
    }

    /// Creates a directory with `mode`; returns `true` if it was created, `false` if it already existed.
    @discardableResult
    package static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(Errno) -> Bool {
        switch valueOrErrno({ mkdir(path, mode) }) {
        case .success: return true
        case .failure(Errno.exists): return false
        case .failure(let error): throw error
        }
    }

    /// Creates `path` and any missing parents, as `mkdir -p` does (parents get mode 0755, `path` itself `mode`;
    /// the umask applies). Existing directories are left as they are.
    package static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(Errno) {
        var current = path.hasPrefix("/") ? "" : "."
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            current += "/" + component
            try makeDirectory(current, mode: index == components.count - 1 ? mode : 0o755)
        }
    }

    /// Flushes a directory's entries (after a rename or create inside it) to stable storage.
    package static func syncDirectory(_ path: String) throws(Errno) {
        let handle = try FileHandle.open(directoryAt: path)
        try handle.sync()
        try handle.close()
    }

    /// The names in a directory, excluding `.` and `..`.
    package static func contentsOfDirectory(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw Errno.current }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

// MARK: - Unqualified system calls

// File-scope wrappers, so that the methods above can share the C functions' names on Glibc and Darwin.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
