#if canImport(Glibc)
    import CFileSystem
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blob written to the staging area, fsynced, and ready to be renamed into place.
struct StagedBlob: Sendable {
    let digest: Digest
    let size: Int
    let mediaType: MediaType?
    let temporaryPath: String
}

/// The blob files of a store: `blobs/sha256/<2 hex>/<64 hex>`, staged in `tmp/` (SPEC §4).
///
/// A blob becomes visible only after its bytes are fully written and fsynced to a staging file, renamed into
/// place, and the directory fsynced. This type knows only files; ``Store`` records blobs in the database.
struct BlobStore: Sendable {
    let root: String
    var blobsDirectory: String { root + "/blobs/sha256" }
    var stagingDirectory: String { root + "/tmp" }

    /// The file that holds `digest`'s bytes.
    func path(for digest: Digest) -> String {
        let hex = digest.hexString
        return "\(blobsDirectory)/\(hex.prefix(2))/\(hex)"
    }

    /// Creates the directory layout (mode 0700).
    func createLayout() throws(StoreError) {
        // Parents of the store directory are created as `mkdir -p` would; the store itself is private (0700).
        do { try FileSystem.makeDirectories(root, mode: 0o700) } catch {
            throw .io("cannot create directory", root, error)
        }
        for directory in [root, root + "/blobs", blobsDirectory, stagingDirectory] {
            do { try FileSystem.makeDirectory(directory, mode: 0o700) } catch {
                throw .io("cannot create directory", directory, error)
            }
        }
    }

    // MARK: - Staging

    private func makeStagingFile() throws(StoreError) -> (FileHandle, String) {
        while true {
            let name = "put-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            let path = "\(stagingDirectory)/\(name)"
            do {
                return (try FileHandle.create(exclusiveAt: path, mode: 0o600), path)
            } catch Errno.exists {
                continue
            } catch {
                throw .io("cannot create staging file", path, error)
            }
        }
    }

    /// Copies the regular file at `source` into a staging file, hashing as it goes, and fsyncs it.
    ///
    /// A read failure is the user's file's fault (`invalidInput`); a write failure is the store's (`io`).
    func stage(fileAt source: String) throws(StoreError) -> StagedBlob {
        let input = try FileHasher.openRegularFile(source)
        return try stage { (write) throws(StoreError) in
            try FileHasher.forEachChunk(of: input, path: source, readFailure: .invalidInput, write)
        }
    }

    /// Stages bytes produced in chunks (a bundle's blob read incrementally), hashing them while they are written.
    ///
    /// - Parameter produce: Calls its argument with each chunk, in order.
    func stage(
        chunks produce: ((UnsafeRawBufferPointer) throws(StoreError) -> Void) throws(StoreError) -> Void
    ) throws(StoreError) -> StagedBlob {
        let (output, temporaryPath) = try makeStagingFile()
        do throws(StoreError) {
            var hasher = SHA256()
            var size = 0
            var head: [UInt8] = []
            try produce { (chunk) throws(StoreError) in
                if head.count < 12 { head += chunk.prefix(12 - head.count) }
                hasher.update(bufferPointer: chunk)
                do throws(Errno) { try output.write(all: chunk) } catch {
                    throw StoreError.io("write", temporaryPath, error)
                }
                size += chunk.count
            }
            do {
                try output.sync()
                try output.close()
            } catch {
                throw StoreError.io("fsync", temporaryPath, error)
            }
            return StagedBlob(
                digest: hasher.finalize(), size: size, mediaType: MediaType.recognize(head),
                temporaryPath: temporaryPath)
        } catch {
            try? output.close()
            try? FileSystem.removeFile(temporaryPath)
            throw error
        }
    }

    /// Writes `bytes` into a staging file and fsyncs it.
    ///
    /// - Parameter sync: `false` leaves the fsync to the caller, who must then call ``syncFileSystem(through:)``
    ///   (with a handle opened before this write) before publishing: a batch pays for one sync instead of one per
    ///   blob.
    func stage(bytes: [UInt8], sync: Bool = true) throws(StoreError) -> StagedBlob {
        let (output, temporaryPath) = try makeStagingFile()
        do throws(Errno) {
            try bytes.withUnsafeBytes { (raw) -> Result<Void, Errno> in
                Result { () throws(Errno) in try output.write(all: raw) }
            }.get()
            if sync { try output.sync() }
            try output.close()
        } catch {
            try? FileSystem.removeFile(temporaryPath)
            throw .io("write", temporaryPath, error)
        }
        return StagedBlob(
            digest: SHA256.hash(data: bytes), size: bytes.count, mediaType: MediaType.recognize(bytes),
            temporaryPath: temporaryPath)
    }

    // MARK: - Publishing

    /// Renames staged blobs into place and fsyncs each touched directory once.
    ///
    /// A file already in place with the right size is hashed: when it is intact, putting the blob again is a
    /// no-op (the staging copy is dropped; the directory is still synced, since another process may have renamed
    /// the file in without syncing yet); when it is damaged, the freshly staged copy, hashed as it was written,
    /// replaces it.
    /// - Parameter syncDirectories: `false` leaves the directories to one ``syncFileSystem(through:)`` by the caller.
    func publish(_ staged: [StagedBlob], syncDirectories: Bool = true) throws(StoreError) {
        var touched: Set<String> = []
        var createdPrefixes = false
        for blob in staged {
            let destination = path(for: blob.digest)
            let directory = String(destination.dropLast(65))
            if let info = try? FileSystem.status(at: destination), Int(info.st_size) == blob.size,
                (try? FileHasher.hash(fileAt: destination, readFailure: .io))?.digest == blob.digest
            {
                try? FileSystem.removeFile(blob.temporaryPath)
                touched.insert(directory)
                continue
            }
            do {
                if try FileSystem.makeDirectory(directory, mode: 0o700) { createdPrefixes = true }
                try FileSystem.rename(blob.temporaryPath, to: destination)
            } catch {
                try? FileSystem.removeFile(blob.temporaryPath)
                throw .io("cannot move blob into place", destination, error)
            }
            touched.insert(directory)
        }
        if createdPrefixes { touched.insert(blobsDirectory) }
        guard syncDirectories else { return }
        for directory in touched.sorted() {
            do { try FileSystem.syncDirectory(directory) } catch { throw .io("fsync", directory, error) }
        }
    }

    /// Whether a batch may be made durable with `syncfs(2)` (``syncFileSystem(through:)``): Linux 5.8 or later,
    /// where `syncfs` reports the write-back errors that happened since its descriptor was opened (earlier kernels
    /// report none, so a failed write of a staged file would go unnoticed).
    static let canSyncFileSystem: Bool = {
        #if os(Linux)
            var names = utsname()
            guard uname(&names) == 0 else { return false }
            let release = withUnsafeBytes(of: &names.release) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            guard numbers.count == 2 else { return false }
            return (numbers[0], numbers[1]) >= (5, 8)
        #else
            return false
        #endif
    }()

    /// Opens the handle a batch is made durable through: open it **before** the batch's first write, because
    /// `syncfs` reports only the write-back errors that happened after its descriptor was opened. It is the staging
    /// directory's, the file system of both the staged files and (renames need it) `blobs/`.
    func openSyncHandle() throws(StoreError) -> FileHandle {
        do { return try FileHandle.open(directoryAt: stagingDirectory) } catch {
            throw .io("cannot open", stagingDirectory, error)
        }
    }

    /// Writes back everything dirty on the store's file system with one `syncfs(2)`, in place of one fsync per
    /// file and directory of a batch: staged files and renamed entries are durable once it returns, and a write
    /// that failed since `handle` was opened is an error. Only where ``canSyncFileSystem``.
    func syncFileSystem(through handle: FileHandle) throws(StoreError) {
        #if os(Linux)
            guard syncfs(handle.descriptor) == 0 else { throw .io("syncfs", stagingDirectory, Errno.current) }
        #else
            preconditionFailure("syncfs(2) is Linux's; check canSyncFileSystem")
        #endif
    }

    /// Moves a blob file whose bytes do not match its name out of `blobs/` into `tmp/corrupt-<hex>-<random>`, so
    /// that the store treats the blob as missing (and a rerun regenerates it) while the bytes stay inspectable;
    /// `gc` removes quarantined files after its grace period.
    func quarantine(_ digest: Digest) throws(StoreError) {
        let target = "\(stagingDirectory)/corrupt-\(digest.hexString)-\(UInt32.random(in: 0...UInt32.max))"
        do { try FileSystem.rename(path(for: digest), to: target) } catch Errno.notFound { return } catch {
            throw .io("cannot move the corrupt blob aside", path(for: digest), error)
        }
    }

    /// Removes staging files that were not published.
    func discard(_ staged: [StagedBlob]) {
        for blob in staged { try? FileSystem.removeFile(blob.temporaryPath) }
    }

    // MARK: - Reading

    /// Reads a whole blob and verifies it against its digest.
    ///
    /// - Throws: ``StoreError`` `notFound` if the file is missing, `integrity` if its bytes do not hash to
    ///   `digest`.
    func contents(of digest: Digest) throws(StoreError) -> [UInt8] {
        let file = path(for: digest)
        let handle: FileHandle
        do { handle = try FileHandle.open(forReadingAt: file) } catch Errno.notFound {
            throw StoreError(code: .notFound, message: "blob \(digest) is missing from the store (\(file))")
        } catch {
            throw .io("cannot open", file, error)
        }
        let size: Int
        do { size = Int(try handle.status().st_size) } catch { throw .io("cannot stat", file, error) }
        var bytes = [UInt8](repeating: 0, count: size)
        let read = bytes.withUnsafeMutableBytes { raw in Result { () throws(Errno) in try handle.readFully(into: raw) }
        }
        let count: Int
        do { count = try read.get() } catch { throw .io("read", file, error) }
        bytes.removeLast(size - count)
        guard SHA256.hash(data: bytes) == digest else {
            throw StoreError(code: .integrity, message: "blob \(digest) is corrupt: its bytes do not match its digest")
        }
        return bytes
    }

    /// Hashes the blob file of `digest` in chunks; returns `nil` if the file is missing.
    func storedDigest(of digest: Digest) throws(StoreError) -> (digest: Digest, size: Int)? {
        do {
            return try FileHasher.hash(fileAt: path(for: digest), readFailure: .io)
        } catch StoreError.notFound {
            return nil
        }
    }

    /// Copies a blob into a new file at `path` in one pass, hashing as it copies: the bytes go to `path.partial`,
    /// which is renamed to `path` only when they match `digest`, so a corrupt blob never appears at `path`.
    ///
    /// - Throws: ``StoreError`` `notFound` if the blob file is missing, `integrity` if its bytes do not match,
    ///   `io` if `path` cannot be written.
    func copy(_ digest: Digest, toFileAt path: String) throws(StoreError) {
        let source = self.path(for: digest)
        let input: FileHandle
        do { input = try FileHandle.open(forReadingAt: source) } catch Errno.notFound {
            throw StoreError(code: .notFound, message: "blob \(digest) is missing from the store")
        } catch {
            throw .io("cannot open", source, error)
        }
        let temporary = path + ".partial"
        try? FileSystem.removeFile(temporary)
        let output: FileHandle
        do { output = try FileHandle.create(exclusiveAt: temporary, mode: 0o644) } catch {
            throw .io("cannot create", temporary, error)
        }
        do throws(StoreError) {
            var hasher = SHA256()
            try FileHasher.forEachChunk(of: input, path: source, readFailure: .io) { (chunk) throws(StoreError) in
                hasher.update(bufferPointer: chunk)
                do throws(Errno) { try output.write(all: chunk) } catch { throw StoreError.io("cannot write", temporary, error) }
            }
            do throws(Errno) { try output.close() } catch { throw StoreError.io("cannot write", temporary, error) }
            guard hasher.finalize() == digest else {
                throw StoreError(code: .integrity, message: "blob \(digest) is corrupt: its bytes do not match its digest")
            }
            do { try FileSystem.rename(temporary, to: path) } catch { throw StoreError.io("cannot rename", path, error) }
        } catch {
            try? FileSystem.removeFile(temporary)
            throw error
        }
    }

    /// Streams a blob to `body` in chunks, after verifying the whole file once.
    ///
    /// The file is hashed first, so that nothing from a corrupt blob reaches `body`; it is hashed again while
    /// streaming, and a change between the two reads is reported as an integrity error.
    func stream(_ digest: Digest, to body: (UnsafeRawBufferPointer) throws(StoreError) -> Void) throws(StoreError) {
        guard let first = try storedDigest(of: digest) else {
            throw StoreError(code: .notFound, message: "blob \(digest) is missing from the store")
        }
        guard first.digest == digest else {
            throw StoreError(code: .integrity, message: "blob \(digest) is corrupt: its bytes do not match its digest")
        }
        let file = path(for: digest)
        let handle = try FileHasher.openRegularFile(file)
        var hasher = SHA256()
        try FileHasher.forEachChunk(of: handle, path: file, readFailure: .io) { (chunk) throws(StoreError) in
            hasher.update(bufferPointer: chunk)
            try body(chunk)
        }
        guard hasher.finalize() == digest else {
            throw StoreError(code: .integrity, message: "blob \(digest) changed while it was being read")
        }
    }
}
