#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An `errno` value captured right after a failed system call.
package struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    package let rawValue: Int32

    /// Captures the current `errno`.
    package static var current: Errno { Errno(rawValue: errno) }

    package static let notFound = Errno(rawValue: ENOENT)
    package static let exists = Errno(rawValue: EEXIST)
    package static let isDirectory = Errno(rawValue: EISDIR)
    package static let interrupted = Errno(rawValue: EINTR)
    package static let notDirectory = Errno(rawValue: ENOTDIR)
    package static let permissionDenied = Errno(rawValue: EACCES)
    package static let notPermitted = Errno(rawValue: EPERM)
    package static let tooManySymbolicLinks = Errno(rawValue: ELOOP)
    package static let nameTooLong = Errno(rawValue: ENAMETOOLONG)

    /// The system's text for this error, e.g. `No such file or directory`.
    package var description: String { String(cString: strerror(rawValue)) }
}

/// Runs a system call that reports failure as `-1` and `errno`, retrying on `EINTR`.
///
/// Modelled on swift-system's `valueOrErrno(retryOnInterrupt:)`.
/// - Parameters:
///   - retryOnInterrupt: Whether to call again when the call fails with `EINTR`.
///   - body: The system call.
/// - Returns: The call's result, or the `errno` it failed with.
package func valueOrErrno<I: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> I
) -> Result<I, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}
