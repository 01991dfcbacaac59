import CCrypto

/// A streaming SHA-256 hasher backed by OpenSSL's EVP interface.
///
/// `SHA256` has the shape of swift-crypto's hash functions: feed bytes with ``update(bufferPointer:)``
/// or ``update(data:)``, then call the non-mutating ``finalize()``; ``hash(data:)`` does both at once.
/// The hasher is a value type with copy-on-write semantics, so a copy taken midway diverges
/// independently of the original.
public struct SHA256: Sendable {
    private var context: DigestContext

    /// Creates a hasher with an empty state.
    public init() {
        context = DigestContext()
    }

    /// Adds the bytes in `bufferPointer` to the hash.
    ///
    /// - Parameter bufferPointer: The bytes to hash.
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        if !isKnownUniquelyReferenced(&context) {
            context = context.copy()
        }
        context.update(bufferPointer)
    }

    /// Adds the bytes of `data` to the hash.
    ///
    /// - Parameter data: Any contiguous collection of bytes (`[UInt8]`, `Data`, a slice).
    public mutating func update<D: ContiguousBytes>(data: D) {
        data.withUnsafeBytes { update(bufferPointer: $0) }
    }

    /// Returns the digest of everything added so far, leaving the hasher usable.
    ///
    /// - Returns: The SHA-256 digest.
    public func finalize() -> Digest {
        context.finalize()
    }

    /// Returns the SHA-256 digest of `data` in one call.
    ///
    /// - Parameter data: The bytes to hash.
    /// - Returns: The SHA-256 digest.
    public static func hash<D: ContiguousBytes>(data: D) -> Digest {
        var hasher = SHA256()
        hasher.update(data: data)
        return hasher.finalize()
    }
}

/// Types that expose their bytes contiguously, like swift-crypto's protocol of the same name.
public protocol ContiguousBytes {
    /// Calls `body` with a pointer to the bytes.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension ContiguousArray: ContiguousBytes where Element == UInt8 {}
extension UnsafeRawBufferPointer: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

// MARK: - The libcrypto context

/// Owns one `EVP_MD_CTX`; the only place that calls libcrypto's digest functions.
private final class DigestContext: @unchecked Sendable {
    // Safety: the context is only mutated through `SHA256`'s copy-on-write `update`, which copies it
    // first unless the reference is unique; `finalize` works on a private copy.
    private let handle: OpaquePointer

    init() {
        guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            preconditionFailure("EVP_DigestInit_ex(sha256) failed")
        }
        handle = ctx
    }

    private init(copying other: DigestContext) {
        guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        guard EVP_MD_CTX_copy_ex(ctx, other.handle) == 1 else { preconditionFailure("EVP_MD_CTX_copy_ex failed") }
        handle = ctx
    }

    deinit {
        EVP_MD_CTX_free(handle)
    }

    func copy() -> DigestContext {
        DigestContext(copying: self)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        guard EVP_DigestUpdate(handle, base, bytes.count) == 1 else { preconditionFailure("EVP_DigestUpdate failed") }
    }

    func finalize() -> Digest {
        let scratch = copy()
        var bytes = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(scratch.handle, $0.baseAddress, &length) }
        guard ok == 1, length == 32 else { preconditionFailure("EVP_DigestFinal_ex failed") }
        return Digest(bytes: bytes)!
    }
}
