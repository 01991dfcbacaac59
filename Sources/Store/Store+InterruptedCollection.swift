#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The files `gc` moves aside while it removes their rows, and the recovery of a `gc` that died in between.
extension Store {
    private static let collectionPrefix = "gc-"

    /// Where `gc` keeps a blob's file between removing its row and committing: `tmp/gc-<pid>-<hex>`.
    func collectionPath(for digest: Digest, pid: Int32 = getpid()) -> String {
        "\(blobs.stagingDirectory)/\(Self.collectionPrefix)\(pid)-\(digest.hexString)"
    }

    /// Moves a blob's file aside for collection (a rename within the store's file system: atomic).
    func moveAsideForCollection(_ digest: Digest) {
        try? FileSystem.rename(blobs.path(for: digest), to: collectionPath(for: digest))
    }

    /// Settles the files of a `gc` that did not finish: each moved-aside file goes back into place when its row is
    /// still recorded (the gc died before its commit) and is deleted otherwise (it died after).
    ///
    /// Runs when a store is opened, for files whose gc process is gone, under the write lock; `includingOwn`
    /// also settles this process's own files (after its gc's transaction failed). Failures are ignored: the next
    /// opening tries again, and a read-only store has nothing to settle.
    func recoverInterruptedCollection(includingOwn: Bool = false) {
        let names = (try? FileSystem.contentsOfDirectory(blobs.stagingDirectory)) ?? []
        var pending: [(path: String, digest: Digest)] = []
        for name in names where name.hasPrefix(Self.collectionPrefix) {
            let parts = name.dropFirst(Self.collectionPrefix.count).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), let digest = Digest(hexString: parts[1]) else {
                continue
            }
            guard (includingOwn && pid == getpid()) || !Self.processIsAlive(pid) else { continue }
            pending.append((blobs.stagingDirectory + "/" + name, digest))
        }
        guard !pending.isEmpty else { return }
        let blobs = self.blobs
        _ = try? write { db in
            for (path, digest) in pending {
                let destination = blobs.path(for: digest)
                if try db.row("SELECT 1 FROM blobs WHERE digest = ?", digest) != nil, !FileSystem.exists(destination) {
                    _ = try? FileSystem.makeDirectory(String(destination.dropLast(65)), mode: 0o700)
                    try? FileSystem.rename(path, to: destination)
                } else {
                    try? FileSystem.removeFile(path)
                }
            }
        }
    }
}
