/// Reads PNG files into ``RasterImage``s (8-bit RGB).
///
/// Every standard PNG is accepted: gray, gray + alpha, RGB, RGBA and palette images at every bit depth the
/// format allows (1, 2, 4, 8 and 16), all five row filters, non-interlaced or Adam7-interlaced. Every chunk's
/// CRC is verified and the zlib stream must be complete. Conversion to RGB8 keeps the high byte of 16-bit
/// samples, scales 1/2/4-bit gray to 0…255, looks palette indices up in `PLTE`, and drops alpha (`tRNS`
/// and alpha channels are ignored: the stored color is kept, not composited over a background).
///
/// Memory is bounded: images with more pixels than the limit are rejected before any pixel memory is
/// allocated, and the image data is inflated row by row, so apart from the file itself only the output and
/// two rows are held.
///
/// Related PNG documentation: <https://www.w3.org/TR/png-3/>
package enum PNGDecoder {
    /// The default limit on `width * height`: 64 megapixels (2^26 pixels, 192 MiB of RGB8).
    package static let defaultPixelLimit = 1 << 26

    /// Decodes a PNG file.
    ///
    /// - Parameters:
    ///   - bytes: The complete file.
    ///   - pixelLimit: The largest `width * height` accepted.
    /// - Returns: The image in RGB8.
    /// - Throws: ``PNGError`` naming what is wrong: a bad signature, a truncated file, a CRC mismatch, an
    ///   invalid or misplaced chunk, corrupt image data, or an image over `pixelLimit`.
    package static func decode(_ bytes: [UInt8], pixelLimit: Int = defaultPixelLimit) throws(PNGError) -> RasterImage {
        guard bytes.count >= 8, bytes[0..<8].elementsEqual(PNGEncoder.signature) else {
            throw PNGError(.notPNG, "the data does not start with the PNG signature")
        }
        var reader = ChunkReader(bytes: bytes, offset: 8)
        guard let first = try reader.next() else { throw PNGError(.truncated, "the file ends before the IHDR chunk") }
        guard first.type == "IHDR" else { throw PNGError(.invalidChunk, "the first chunk is not IHDR") }
        let header = try PNGHeader(first.data, pixelLimit: pixelLimit)
        var palette: [UInt8]?
        var scanlines: ScanlineDecoder?
        var idatEnded = false

        while let chunk = try reader.next() {
            switch chunk.type {
            case "IHDR":
                throw PNGError(.invalidChunk, "more than one IHDR chunk")
            case "PLTE":
                guard scanlines == nil else { throw PNGError(.invalidChunk, "PLTE chunk after IDAT") }
                guard palette == nil else { throw PNGError(.invalidChunk, "more than one PLTE chunk") }
                guard chunk.data.count % 3 == 0, (3...768).contains(chunk.data.count) else {
                    throw PNGError(
                        .invalidChunk, "PLTE chunk length \(chunk.data.count) is not 3 to 768 bytes in threes")
                }
                palette = Array(chunk.data)
            case "IDAT":
                guard !idatEnded else { throw PNGError(.invalidChunk, "IDAT chunks are not consecutive") }
                if scanlines == nil {
                    if header.colorType == .palette && palette == nil {
                        throw PNGError(.invalidChunk, "palette image without a PLTE chunk before IDAT")
                    }
                    scanlines = try ScanlineDecoder(header: header, palette: palette ?? [])
                }
                try scanlines?.feed(chunk.data)
            case "IEND":
                guard let scanlines else { throw PNGError(.invalidChunk, "no IDAT chunk before IEND") }
                return try scanlines.finish()
            default:
                if scanlines != nil { idatEnded = true }
                guard let firstByte = chunk.type.utf8.first, firstByte & 0x20 != 0 else {
                    throw PNGError(.unsupported, "unknown critical chunk \(chunk.type)")
                }
            }
        }
        throw PNGError(.truncated, "the file ends before the IEND chunk")
    }
}

// MARK: - Chunks

/// One chunk, its CRC already verified.
private struct Chunk {
    var type: String
    var data: ArraySlice<UInt8>
}

/// Walks the chunks of a PNG file, verifying each one's length and CRC.
private struct ChunkReader {
    let bytes: [UInt8]
    var offset: Int

    /// The next chunk, or `nil` at the end of the bytes.
    mutating func next() throws(PNGError) -> Chunk? {
        guard offset < bytes.count else { return nil }
        guard bytes.count - offset >= 12 else {
            throw PNGError(.truncated, "the file ends inside a chunk header at offset \(offset)")
        }
        let length = Int(bytes.readBigEndian(at: offset))
        let typeBytes = bytes[(offset + 4)..<(offset + 8)]
        guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw PNGError(.invalidChunk, "invalid chunk type bytes at offset \(offset)")
        }
        let type = String(decoding: typeBytes, as: UTF8.self)
        guard length <= Int(Int32.max) else {
            throw PNGError(.invalidChunk, "\(type) chunk at offset \(offset) declares length \(length)")
        }
        let dataStart = offset + 8
        guard bytes.count - dataStart - 4 >= length else {
            throw PNGError(.truncated, "the file ends inside the \(type) chunk at offset \(offset)")
        }
        let data = bytes[dataStart..<(dataStart + length)]
        let stored = bytes.readBigEndian(at: dataStart + length)
        let computed = Zlib.crc32(Zlib.crc32(0, typeBytes), data)
        guard stored == computed else {
            throw PNGError(.crcMismatch, "CRC mismatch in \(type) chunk at offset \(offset)")
        }
        defer { offset = dataStart + length + 4 }
        return Chunk(type: type, data: data)
    }
}

extension [UInt8] {
    /// The four big-endian bytes at `offset` as an integer.
    fileprivate func readBigEndian(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }
}

// MARK: - Header

/// The validated contents of `IHDR`.
private struct PNGHeader {
    enum ColorType: UInt8 {
        case gray = 0
        case rgb = 2
        case palette = 3
        case grayAlpha = 4
        case rgba = 6

        var channels: Int {
            switch self {
            case .gray, .palette: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }

        var allowedBitDepths: [Int] {
            switch self {
            case .gray: [1, 2, 4, 8, 16]
            case .palette: [1, 2, 4, 8]
            case .rgb, .grayAlpha, .rgba: [8, 16]
            }
        }
    }

    var width: Int
    var height: Int
    var bitDepth: Int
    var colorType: ColorType
    var isInterlaced: Bool

    init(_ data: ArraySlice<UInt8>, pixelLimit: Int) throws(PNGError) {
        guard data.count == 13 else { throw PNGError(.invalidChunk, "IHDR chunk length \(data.count) is not 13") }
        let fields = Array(data)
        width = Int(fields.readBigEndian(at: 0))
        height = Int(fields.readBigEndian(at: 4))
        bitDepth = Int(fields[8])
        guard (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height) else {
            throw PNGError(.invalidChunk, "invalid image size \(width)x\(height)")
        }
        guard let colorType = ColorType(rawValue: fields[9]) else {
            throw PNGError(.invalidChunk, "invalid color type \(fields[9])")
        }
        self.colorType = colorType
        guard colorType.allowedBitDepths.contains(bitDepth) else {
            throw PNGError(.invalidChunk, "bit depth \(bitDepth) is invalid for color type \(colorType.rawValue)")
        }
        guard fields[10] == 0 else { throw PNGError(.invalidChunk, "unknown compression method \(fields[10])") }
        guard fields[11] == 0 else { throw PNGError(.invalidChunk, "unknown filter method \(fields[11])") }
        guard fields[12] <= 1 else { throw PNGError(.invalidChunk, "unknown interlace method \(fields[12])") }
        isInterlaced = fields[12] == 1
        guard width * height <= pixelLimit else {
            throw PNGError(.tooLarge, "\(width)x\(height) is more than the limit of \(pixelLimit) pixels")
        }
    }

    var bitsPerPixel: Int { colorType.channels * bitDepth }

    /// The filtered row's byte length (without the filter byte) for a row `pixels` wide.
    func rowLength(pixels: Int) -> Int { (pixels * bitsPerPixel + 7) / 8 }
}

// MARK: - Image data

/// One interlace pass (the whole image when not interlaced): which pixels its rows hold.
private struct Pass {
    var xStart: Int
    var yStart: Int
    var xStep: Int
    var yStep: Int
    var width: Int
    var height: Int

    /// The passes of `header`'s image that hold at least one pixel, in file order.
    static func passes(for header: PNGHeader) -> [Pass] {
        guard header.isInterlaced else {
            return [Pass(xStart: 0, yStart: 0, xStep: 1, yStep: 1, width: header.width, height: header.height)]
        }
        let adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        return adam7.compactMap { xStart, yStart, xStep, yStep in
            let width = (header.width - xStart + xStep - 1) / xStep
            let height = (header.height - yStart + yStep - 1) / yStep
            guard width > 0, height > 0 else { return nil }
            return Pass(xStart: xStart, yStart: yStart, xStep: xStep, yStep: yStep, width: width, height: height)
        }
    }
}

/// Inflates `IDAT` data as it arrives, unfilters each row and converts it into the RGB8 output.
private final class ScanlineDecoder {
    private let header: PNGHeader
    private let palette: [UInt8]
    private let passes: [Pass]
    private let inflater: Inflater
    private let bytesPerPixel: Int
    private var output: [UInt8]
    private var passIndex = 0
    private var rowInPass = 0
    /// The row being filled: filter byte then filtered bytes.
    private var current: [UInt8]
    /// The previous unfiltered row of the same pass (zeros before a pass's first row).
    private var previous: [UInt8]
    private var filled = 0

    init(header: PNGHeader, palette: [UInt8]) throws(PNGError) {
        self.header = header
        self.palette = palette
        passes = Pass.passes(for: header)
        inflater = try Inflater()
        bytesPerPixel = max(1, header.bitsPerPixel / 8)
        output = [UInt8](repeating: 0, count: header.width * header.height * 3)
        let longest = header.rowLength(pixels: header.width)
        current = [UInt8](repeating: 0, count: longest + 1)
        previous = [UInt8](repeating: 0, count: longest)
    }

    private var isComplete: Bool { passIndex == passes.count }

    func feed(_ data: ArraySlice<UInt8>) throws(PNGError) {
        try inflater.inflate(data) { (piece) throws(PNGError) in
            var consumed = 0
            while consumed < piece.count {
                guard !isComplete else { throw PNGError(.corruptData, "there is more image data than rows") }
                let rowLength = header.rowLength(pixels: passes[passIndex].width) + 1
                let count = min(rowLength - filled, piece.count - consumed)
                for index in 0..<count { current[filled + index] = piece[consumed + index] }
                filled += count
                consumed += count
                if filled == rowLength { try finishRow(length: rowLength - 1) }
            }
        }
    }

    func finish() throws(PNGError) -> RasterImage {
        guard isComplete else {
            throw PNGError(.corruptData, "the image data ends early (in pass \(passIndex + 1), row \(rowInPass + 1))")
        }
        guard inflater.isFinished else { throw PNGError(.corruptData, "the zlib stream is incomplete") }
        return RasterImage(width: header.width, height: header.height, pixels: output)
    }

    private func finishRow(length: Int) throws(PNGError) {
        let filter = current[0]
        try unfilter(filter, length: length)
        let pass = passes[passIndex]
        try convertRow(pass: pass, y: pass.yStart + rowInPass * pass.yStep)
        filled = 0
        rowInPass += 1
        if rowInPass == pass.height {
            rowInPass = 0
            passIndex += 1
            for index in previous.indices { previous[index] = 0 }
        }
    }

    /// Undoes `filter` on `current[1...length]` in place, then copies the row into `previous`.
    private func unfilter(_ filter: UInt8, length: Int) throws(PNGError) {
        let step = bytesPerPixel
        try current.withUnsafeMutableBufferPointer { (row) throws(PNGError) in
            try previous.withUnsafeMutableBufferPointer { (above) throws(PNGError) in
                switch filter {
                case 0:
                    break
                case 1:
                    for index in step..<max(step, length) { row[1 + index] &+= row[1 + index - step] }
                case 2:
                    for index in 0..<length { row[1 + index] &+= above[index] }
                case 3:
                    for index in 0..<length {
                        let left = index >= step ? Int(row[1 + index - step]) : 0
                        row[1 + index] &+= UInt8((left + Int(above[index])) >> 1)
                    }
                case 4:
                    for index in 0..<length {
                        let left = index >= step ? row[1 + index - step] : 0
                        let upLeft = index >= step ? above[index - step] : 0
                        row[1 + index] &+= PNGFilter.paeth(left, above[index], upLeft)
                    }
                default:
                    throw PNGError(.corruptData, "unknown row filter type \(filter)")
                }
                for index in 0..<length { above[index] = row[1 + index] }
            }
        }
    }

    /// Converts the unfiltered row (now in `previous`) into RGB8 pixels of the output row `y`.
    private func convertRow(pass: Pass, y: Int) throws(PNGError) {
        let depth = header.bitDepth
        let colorType = header.colorType
        let channels = colorType.channels
        let grayScale = depth < 8 ? 255 / ((1 << depth) - 1) : 1
        let paletteCount = palette.count / 3
        let width = header.width
        try previous.withUnsafeBufferPointer { (row) throws(PNGError) in
            try output.withUnsafeMutableBufferPointer { (output) throws(PNGError) in
                @inline(__always) func sample(_ index: Int) -> Int {
                    switch depth {
                    case 8: return Int(row[index])
                    case 16: return Int(row[index &* 2])
                    default:
                        let bit = index * depth
                        return Int(row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1)
                    }
                }
                for column in 0..<pass.width {
                    let target = (y * width + pass.xStart + column * pass.xStep) * 3
                    let first = column * channels
                    switch colorType {
                    case .gray, .grayAlpha:
                        let value = UInt8(sample(first) * grayScale)
                        output[target] = value
                        output[target + 1] = value
                        output[target + 2] = value
                    case .rgb, .rgba:
                        output[target] = UInt8(sample(first))
                        output[target + 1] = UInt8(sample(first + 1))
                        output[target + 2] = UInt8(sample(first + 2))
                    case .palette:
                        let entry = sample(first)
                        guard entry < paletteCount else {
                            throw PNGError(
                                .corruptData, "palette index \(entry) is outside the \(paletteCount)-entry PLTE")
                        }
                        output[target] = palette[entry * 3]
                        output[target + 1] = palette[entry * 3 + 1]
                        output[target + 2] = palette[entry * 3 + 2]
                    }
                }
            }
        }
    }
}
