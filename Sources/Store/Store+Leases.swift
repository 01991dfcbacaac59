#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who holds the lease on a key being generated.
public struct Lease: Sendable, Hashable {
    /// The generation key.
    public let key: Digest
    /// The holder's process id.
    public let processID: Int
    /// The holder's run.
    public let runID: String
}

/// What ``Store/acquireLease(key:runID:duration:)`` found.
public enum LeaseOutcome: Sendable, Hashable {
    /// The caller holds the lease and generates the key.
    case acquired
    /// Another live run holds it: wait for its commit (or for the lease to go) and look again.
    case heldBy(Lease)
}

/// Leases: one row per key being generated (SPEC §3: a key is one generation, so it is paid for once).
///
/// A lease is live while its expiry (renewed by the holder's heartbeat) is in the future and its holder process
/// exists; a holder killed with SIGKILL leaves a row that is dead at once (no process), so it never blocks the
/// next run. A lease held by the calling process for another run is live without a `kill` check.
extension Store {
    /// How long a lease lasts without a heartbeat.
    public static let leaseDuration: Duration = .seconds(30)

    /// Takes the lease on `key` for `runID` unless another live holder has it. A dead or expired lease is
    /// taken over. The caller must look for a stored generation of `key` after acquiring (another holder may
    /// have committed it just before).
    public func acquireLease(key: Digest, runID: String, duration: Duration = leaseDuration) throws(StoreError)
        -> LeaseOutcome
    {
        let now = Self.milliseconds()
        let pid = Int(getpid())
        return try write { db in
            if let row = try db.row("SELECT pid, run_id, expires_at FROM leases WHERE key = ?", key),
                let holder = row.int(0), let holderRun = row.string(1), let expires = row.int(2),
                holderRun != runID, Self.isLive(pid: holder, expiresAt: expires, now: now)
            {
                return .heldBy(Lease(key: key, processID: holder, runID: holderRun))
            }
            try db.execute(
                "INSERT OR REPLACE INTO leases (key, pid, run_id, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                key, pid, runID, Timestamp.now(), now + Self.milliseconds(duration))
            return .acquired
        }
    }

    /// Extends the caller's lease (the heartbeat); `false` if it no longer holds it.
    @discardableResult
    public func renewLease(key: Digest, runID: String, duration: Duration = leaseDuration) throws(StoreError) -> Bool {
        let expires = Self.milliseconds() + Self.milliseconds(duration)
        return try write { db in
            try db.execute(
                "UPDATE leases SET expires_at = ? WHERE key = ? AND run_id = ? AND pid = ?", expires, key, runID,
                Int(getpid()))
            return db.changes > 0
        }
    }

    /// Gives the lease up (after a failure or a cancellation; a commit releases it itself).
    public func releaseLease(key: Digest, runID: String) throws(StoreError) {
        try write { db in
            try db.execute("DELETE FROM leases WHERE key = ? AND run_id = ? AND pid = ?", key, runID, Int(getpid()))
        }
    }

    /// The live lease on `key`, if any (for `status`: `in flight (pid N)`).
    public func liveLease(on key: Digest) throws(StoreError) -> Lease? {
        let now = Self.milliseconds()
        let row = try read { db in try db.row("SELECT pid, run_id, expires_at FROM leases WHERE key = ?", key) }
        guard let row, let holder = row.int(0), let holderRun = row.string(1), let expires = row.int(2),
            Self.isLive(pid: holder, expiresAt: expires, now: now)
        else { return nil }
        return Lease(key: key, processID: holder, runID: holderRun)
    }

    /// Deletes the lease rows of `key` inside a commit's transaction.
    static func deleteLease(on key: Digest, in db: Database) throws {
        try db.execute("DELETE FROM leases WHERE key = ?", key)
    }

    static func isLive(pid: Int, expiresAt: Int, now: Int) -> Bool {
        guard expiresAt > now else { return false }
        if pid == Int(getpid()) { return true }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }

    static func milliseconds() -> Int {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int(spec.tv_sec) * 1000 + Int(spec.tv_nsec) / 1_000_000
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
