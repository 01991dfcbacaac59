#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error from the store, with a stable code, a one-line message and its cause.
///
/// Modelled on swift-nio's `FileSystemError`: the ``code`` says what kind of failure it was (and so which
/// exit code the tool uses), the ``message`` says what and where, and ``cause`` keeps the underlying error.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A file or blob that was asked for does not exist.
        public static let notFound = Code("notFound")
        /// The input is not what it must be (not a regular file, not an image, a malformed digest, a bad bundle).
        public static let invalidInput = Code("invalidInput")
        /// Stored bytes or keys do not match their digests.
        public static let integrity = Code("integrity")
        /// A file-system operation failed.
        public static let io = Code("io")
        /// The lineage database failed.
        public static let database = Code("database")
        /// The store was written by a newer, incompatible framechain.
        public static let unsupportedFormat = Code("unsupportedFormat")
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and where, in one line.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    /// `catch StoreError.notFound`.
    public static let notFound = Code.notFound
    /// `catch StoreError.invalidInput`.
    public static let invalidInput = Code.invalidInput
    /// `catch StoreError.integrity`.
    public static let integrity = Code.integrity

    static func io(_ what: String, _ path: String, _ errno: Errno) -> StoreError {
        StoreError(
            code: errno == .notFound ? .notFound : .io,
            message: "\(path): \(what): \(errno)\(hint(for: errno.rawValue))", cause: errno)
    }

    /// What a user can do about a system error that is not framechain's to fix: a full disk, a read-only store.
    static func hint(for errno: Int32) -> String {
        switch errno {
        case ENOSPC, EFBIG, EDQUOT:
            " (the disk is full or a size limit - quota, ulimit -f - is reached; nothing partial was kept)"
        case EACCES, EPERM, EROFS:
            " (the store is read-only or belongs to another user (this is uid \(geteuid())); use a store you may "
                + "write, or --store DIR)"
        default: ""
        }
    }

    static func database(_ error: SQLiteError) -> StoreError {
        StoreError(code: .database, message: "store database: \(error)", cause: error)
    }
}

/// Matches an error against a store error code, so callers can write `catch StoreError.integrity`.
public func ~= (pattern: StoreError.Code, error: any Error) -> Bool {
    (error as? StoreError)?.code == pattern
}
