import Store
import Synchronization

/// One command's use of a remote cache: its mode, the checks on everything received, and the rule that a remote
/// that is down is given up after the first failure, with one warning, so the command finishes locally.
///
/// Warnings (the remote is down; a record or blob was rejected) are collected for the command to print.
public final class RemoteSession: Sendable {
    /// The cache.
    public let cache: any RemoteCache
    /// Which way it may be used.
    public let mode: RemoteMode
    private let state = Mutex(State())

    private struct State {
        var down = false
        var warnings: [String] = []
        var rejections = 0
    }

    /// Creates a session.
    public init(cache: any RemoteCache, mode: RemoteMode) {
        self.cache = cache
        self.mode = mode
    }

    /// The warnings so far, in order.
    public var warnings: [String] { state.withLock { $0.warnings } }

    /// How many records or blobs were rejected.
    public var rejections: Int { state.withLock { $0.rejections } }

    /// Whether the remote was given up as unavailable.
    public var isDown: Bool { state.withLock { $0.down } }

    /// Whether lookups are allowed and the remote is not down.
    var readable: Bool { mode.reads && !isDown }
    /// Whether uploads are allowed and the remote is not down.
    var writable: Bool { mode.writes && !isDown }

    /// Records a failure: a rejection is reported each time; the first unavailability gives the remote up.
    func note(_ error: RemoteCacheError) {
        // A request cut short by an interrupt says nothing about the remote.
        if Task.isCancelled && error.kind == .unavailable { return }
        state.withLock { state in
            switch error.kind {
            case .rejected:
                state.rejections += 1
                state.warnings.append("\(error.message); nothing of it was stored")
            case .unavailable:
                guard !state.down else { return }
                state.down = true
                state.warnings.append(
                    "the remote cache \(cache.displayAddress) is unavailable (\(error.message)); "
                        + "going on with the local store only")
            }
        }
    }

    // MARK: - Receiving

    /// Looks `key` up and checks its record, without downloading the output: `nil` when absent, rejected, or the
    /// remote is unreadable.
    func record(for key: Digest) async -> ActionRecord? {
        guard readable else { return nil }
        do {
            guard let bytes = try await cache.actionRecord(for: key) else { return nil }
            return try ActionRecord.decode(bytes, expectedKey: key)
        } catch {
            note(error)
            return nil
        }
    }

    /// Downloads and verifies the output of a checked record: its bytes must hash to the record's output digest
    /// and be an image of the recorded media type.
    ///
    /// - Throws: ``RemoteCacheError`` `rejected` when they do not (the session also notes it), `unavailable`.
    func output(of record: ActionRecord) async throws(RemoteCacheError) -> ReceivedGeneration? {
        let digest = record.generation.output
        let bytes: [UInt8]?
        do { bytes = try await cache.blob(digest) } catch {
            note(error)
            throw error
        }
        guard let bytes else { return nil }
        let actual = SHA256.hash(data: bytes)
        guard actual == digest else {
            let error = RemoteCacheError(
                .rejected,
                "the remote's blob \(digest) (the output of key \(record.generation.key)) was rejected: its bytes hash to \(actual)"
            )
            note(error)
            throw error
        }
        guard MediaType.sniff(bytes) == record.mediaType else {
            let error = RemoteCacheError(
                .rejected,
                "the remote's blob \(digest) was rejected: it is not the \(record.mediaType.mimeType) its record names")
            note(error)
            throw error
        }
        return ReceivedGeneration(bytes: bytes, generation: record.generation)
    }

    /// Looks up `key`, downloads its output and verifies both: `nil` on any miss, rejection or failure (noted).
    public func fetch(_ key: Digest) async -> ReceivedGeneration? {
        guard let record = await record(for: key) else { return nil }
        return try? await output(of: record)
    }

    // MARK: - Sending

    /// Uploads a generation and its output (blob first, then the record that names it), unless the remote is not
    /// writable. Failures are noted, never thrown: an upload never fails the command that generated.
    public func publish(_ generation: GenerationRecord, bytes: [UInt8], mediaType: MediaType) async {
        guard writable else { return }
        do {
            try await cache.putBlob(generation.output, bytes: bytes)
            let record = ActionRecord(generation: generation, mediaType: mediaType, size: bytes.count)
            try await cache.putActionRecord(for: generation.key, bytes: record.bytes)
        } catch {
            note(error)
        }
    }
}
