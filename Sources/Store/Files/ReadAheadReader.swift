#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file on a helper thread into a small ring of buffers, so that reading the next chunk overlaps the
/// caller's work on the current one (hashing, copying).
///
/// Reading a file from the page cache is a kernel copy that costs about a third of SHA-256's time; done on the
/// calling thread it adds to every hash, done here it runs on another core. Memory stays bounded by
/// ``slotCount`` chunks whatever the file's size. Only worth its thread for files of several chunks.
final class ReadAheadReader: @unchecked Sendable {
    // Safety: every mutable property below is read and written only with `mutex` held. A buffer slot belongs
    // to the reader thread while `produced - consumed < slotCount` says it is free, and to the consumer from
    // the moment it is published (`produced` advanced) until it is released (`consumed` advanced).

    /// How many chunks may be read ahead.
    static let slotCount = 3

    private let handle: FileHandle
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var counts: [Int]
    private var produced = 0
    private var consumed = 0
    private var finished = false
    private var failure: Errno?
    private var cancelled = false
    private var readerExited = false
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    private init(handle: FileHandle, chunkSize: Int) {
        self.handle = handle
        self.buffers = (0..<Self.slotCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        }
        self.counts = Array(repeating: 0, count: Self.slotCount)
        self.mutex = .allocate(capacity: 1)
        self.condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
        for buffer in buffers { buffer.deallocate() }
    }

    /// Calls `body` with each chunk of `handle`'s file in order, reading ahead on a helper thread.
    ///
    /// The helper thread has always ended when this returns or throws.
    /// - Parameters:
    ///   - handle: An open file, read from its current offset to its end.
    ///   - chunkSize: The size of each read.
    ///   - readFailure: Builds the error for a failed `read`.
    ///   - body: Called with each chunk; a chunk is valid only during the call.
    /// - Throws: The error of `readFailure` or `body`; if the helper thread cannot be started, the file is read
    ///   on the calling thread instead.
    static func forEachChunk(
        of handle: FileHandle, chunkSize: Int, readFailure: (Errno) -> StoreError,
        _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        let reader = ReadAheadReader(handle: handle, chunkSize: chunkSize)
        guard reader.startThread() else {
            try readSequentially(handle: handle, buffer: reader.buffers[0], readFailure: readFailure, body)
            return
        }
        defer { reader.stopThread() }
        try reader.consume(readFailure: readFailure, body)
    }

    /// Reads `handle` on the calling thread, one chunk at a time.
    static func readSequentially(
        handle: FileHandle, buffer: UnsafeMutableRawBufferPointer, readFailure: (Errno) -> StoreError,
        _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        while true {
            let count: Int
            do { count = try handle.read(into: buffer) } catch { throw readFailure(error) }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    // MARK: - The consumer

    private func consume(
        readFailure: (Errno) -> StoreError, _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        var index = 0
        while true {
            pthread_mutex_lock(mutex)
            while produced == index && !finished { pthread_cond_wait(condition, mutex) }
            if produced == index {
                let failure = self.failure
                pthread_mutex_unlock(mutex)
                if let failure { throw readFailure(failure) }
                return
            }
            let slot = index % Self.slotCount
            let count = counts[slot]
            pthread_mutex_unlock(mutex)

            try body(UnsafeRawBufferPointer(rebasing: buffers[slot][..<count]))

            index += 1
            pthread_mutex_lock(mutex)
            consumed = index
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    // MARK: - The reader thread

    private func readLoop() {
        while true {
            pthread_mutex_lock(mutex)
            while produced - consumed == Self.slotCount && !cancelled { pthread_cond_wait(condition, mutex) }
            let stop = cancelled
            let slot = produced % Self.slotCount
            pthread_mutex_unlock(mutex)
            if stop { break }

            let result = Result { () throws(Errno) in try handle.read(into: buffers[slot]) }

            pthread_mutex_lock(mutex)
            switch result {
            case .success(0): finished = true
            case .success(let count):
                counts[slot] = count
                produced += 1
            case .failure(let error):
                failure = error
                finished = true
            }
            let done = finished
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
            if done { break }
        }
        pthread_mutex_lock(mutex)
        readerExited = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    #if canImport(Glibc)
        private var thread = pthread_t()
    #else
        private var thread: pthread_t?
    #endif

    /// Starts the reader thread, which holds a reference to `self` until it ends.
    private func startThread() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        let code = pthread_create(
            &thread, nil,
            { context in
                #if canImport(Glibc)
                    let reader = Unmanaged<ReadAheadReader>.fromOpaque(context!).takeRetainedValue()
                #else
                    let reader = Unmanaged<ReadAheadReader>.fromOpaque(context).takeRetainedValue()
                #endif
                reader.readLoop()
                return nil
            }, context)
        if code != 0 {
            Unmanaged<ReadAheadReader>.fromOpaque(context).release()
            return false
        }
        return true
    }

    /// Asks the reader thread to stop and waits until it has ended.
    private func stopThread() {
        pthread_mutex_lock(mutex)
        cancelled = true
        pthread_cond_broadcast(condition)
        while !readerExited { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
        #if canImport(Glibc)
            pthread_join(thread, nil)
        #else
            if let thread { pthread_join(thread, nil) }
        #endif
    }
}
