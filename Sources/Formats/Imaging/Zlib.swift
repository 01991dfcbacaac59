import CZlib

/// The thin internal layer over system zlib: one-shot compression, CRC-32 and a streaming inflater.
///
/// No zlib type leaves this file; callers see Swift byte arrays and ``PNGError``.
enum Zlib {
    /// Compresses `bytes` into a zlib stream (RFC 1950) at `level`.
    ///
    /// The output depends only on the input, the level and the zlib build, so it is deterministic on a
    /// given system. The corresponding C function is `compress2`.
    ///
    /// - Parameters:
    ///   - bytes: The data to compress.
    ///   - level: The compression level, 0 (store) to 9 (smallest).
    /// - Returns: The zlib stream.
    static func compress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &capacity, source.baseAddress, uLong(source.count), level)
            }
        }
        // compress2 only fails on a bad level or when out of memory; neither can be handled here.
        guard status == Z_OK else { preconditionFailure("zlib compress2 failed with status \(status)") }
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// Continues a CRC-32 (ISO 3309, as PNG uses) over `bytes`.
    ///
    /// The corresponding C function is `crc32`.
    ///
    /// - Parameters:
    ///   - crc: The CRC of the bytes before these (0 to start).
    ///   - bytes: The bytes to add.
    /// - Returns: The updated CRC.
    static func crc32<C: Collection<UInt8>>(_ crc: UInt32, _ bytes: C) -> UInt32 {
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in
                CZlib.crc32(uLong(crc), buffer.baseAddress, uInt(buffer.count))
            }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in
                CZlib.crc32(uLong(crc), buffer.baseAddress, uInt(buffer.count))
            }
        return UInt32(truncatingIfNeeded: result)
    }
}

/// A streaming zlib decompressor: owns one `z_stream`, ended in `deinit`.
///
/// The stream lives at a stable heap address, as zlib requires between calls.
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch = [UInt8](repeating: 0, count: 1 << 16)
    /// Whether the end of the zlib stream has been reached (its Adler-32 checksum verified).
    private(set) var isFinished = false

    /// Starts a new zlib stream. The corresponding C function is `inflateInit_`.
    ///
    /// - Throws: ``PNGError`` if zlib cannot allocate its state.
    init() throws(PNGError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit_(stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw PNGError(.corruptData, "zlib inflateInit failed with status \(status)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses `input`, handing every piece of output to `consume` as it is produced.
    ///
    /// - Parameters:
    ///   - input: The next compressed bytes (any split of the stream is fine).
    ///   - consume: Receives decompressed bytes, in order, in pieces of up to 64 KiB.
    /// - Throws: ``PNGError`` for corrupt data or data after the stream's end, and whatever `consume` throws.
    func inflate(
        _ input: ArraySlice<UInt8>, into consume: (UnsafeBufferPointer<UInt8>) throws(PNGError) -> Void
    ) throws(PNGError) {
        guard !input.isEmpty else { return }
        guard !isFinished else { throw PNGError(.corruptData, "compressed data continues after the zlib stream ends") }
        try input.withUnsafeBufferPointer { (source) throws(PNGError) in
            // zlib never writes through next_in; the header just lacks `const` without ZLIB_CONST.
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = uInt(source.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                let (status, produced) = scratch.withUnsafeMutableBufferPointer { output in
                    stream.pointee.next_out = output.baseAddress
                    stream.pointee.avail_out = uInt(output.count)
                    let status = CZlib.inflate(stream, Z_NO_FLUSH)
                    return (status, output.count - Int(stream.pointee.avail_out))
                }
                if produced > 0 {
                    try scratch.withUnsafeBufferPointer { (buffer) throws(PNGError) in
                        try consume(UnsafeBufferPointer(rebasing: buffer[..<produced]))
                    }
                }
                switch status {
                case Z_STREAM_END:
                    isFinished = true
                    if stream.pointee.avail_in > 0 {
                        throw PNGError(.corruptData, "compressed data continues after the zlib stream ends")
                    }
                    return
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                case Z_BUF_ERROR:
                    // No progress was possible: all input consumed and nothing more to output yet.
                    return
                default:
                    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw PNGError(.corruptData, "zlib data is corrupt: \(detail)")
                }
            }
        }
    }
}
