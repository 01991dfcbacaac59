import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard output or standard error, written with raw `write(2)` calls (no stdio buffering).
///
/// Raw writes keep binary output (`blob cat`) byte-exact and make each line reach its stream at once, so
/// output and errors interleave in the order they happen.
enum StandardStream {
    case output
    case error

    private var descriptor: Int32 {
        switch self {
        case .output: 1
        case .error: 2
        }
    }

    /// Writes all of `bytes`, looping over short writes and retrying on `EINTR`.
    ///
    /// The corresponding C function is `write(2)`.
    /// - Throws: ``StoreError`` `io` if the stream is closed or failing (for example `EPIPE`).
    func write(all bytes: UnsafeRawBufferPointer) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let result = valueOrErrno { systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            switch result {
            case .success(let count): offset += count
            case .failure(let errno):
                throw StoreError(
                    code: .io, message: "\(self == .output ? "standard output" : "standard error"): write: \(errno)",
                    cause: errno)
            }
        }
    }

    /// Writes `text` as it is, ignoring failures (a closed stream has no one to tell).
    func write(_ text: String) {
        var text = text
        text.withUTF8 { try? write(all: UnsafeRawBufferPointer($0)) }
    }

    /// Writes `text` and a newline in one call, ignoring failures (a closed stream has no one to tell).
    func writeLine(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { try? write(all: UnsafeRawBufferPointer($0)) }
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
