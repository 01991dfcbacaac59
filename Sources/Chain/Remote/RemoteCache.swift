import Store

/// A shared cache on another machine, spoken to by key and digest: the interface the executor, `status`, `push`
/// and `pull` use, implemented by the `Remote` module over Bazel's HTTP remote-cache protocol (docs/REMOTE.md).
///
/// Chain knows no HTTP: it sees action records and blobs as bytes and does every trust check itself
/// (``ActionRecord/decode(_:expectedKey:)``, the blob's SHA-256), so a misbehaving server cannot get anything
/// into a store whatever transport carries it.
public protocol RemoteCache: Sendable {
    /// The remote's address as it may be shown (never with a credential).
    var displayAddress: String { get }

    /// The action record stored under `key` (`GET ac/<hex>`), or `nil` when there is none.
    ///
    /// - Throws: ``RemoteCacheError`` when the remote cannot be reached or answers with an error.
    func actionRecord(for key: Digest) async throws(RemoteCacheError) -> [UInt8]?

    /// The bytes of the blob `digest` (`GET cas/<hex>`), or `nil` when there is none. The bytes are not checked
    /// here; callers verify them.
    func blob(_ digest: Digest) async throws(RemoteCacheError) -> [UInt8]?

    /// Whether the remote holds the blob `digest` (`HEAD cas/<hex>`).
    func containsBlob(_ digest: Digest) async throws(RemoteCacheError) -> Bool

    /// Whether the remote holds an action record for `key` (`HEAD ac/<hex>`).
    func containsActionRecord(for key: Digest) async throws(RemoteCacheError) -> Bool

    /// Uploads a blob (`PUT cas/<hex>`); `bytes` hash to `digest`.
    func putBlob(_ digest: Digest, bytes: [UInt8]) async throws(RemoteCacheError)

    /// Uploads an action record (`PUT ac/<hex>`).
    func putActionRecord(for key: Digest, bytes: [UInt8]) async throws(RemoteCacheError)
}

/// Which way a remote cache may be used (`--remote-mode`).
public enum RemoteMode: String, Sendable, CaseIterable {
    /// Only look up and download.
    case read
    /// Only upload what this machine generates.
    case write
    /// Both (the default).
    case readWrite = "read-write"

    /// Whether lookups are allowed.
    public var reads: Bool { self != .write }
    /// Whether uploads are allowed.
    public var writes: Bool { self != .read }
}

/// A failure to use a remote cache: it is down, refused the request, or sent something that does not verify.
public struct RemoteCacheError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// The remote could not be reached, timed out, or answered with an error status (after retries).
        case unavailable
        /// The remote sent an action record or blob that does not verify; nothing of it was stored.
        case rejected
    }

    /// The kind of failure.
    public var kind: Kind
    /// What went wrong, in one line (never with a credential).
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
