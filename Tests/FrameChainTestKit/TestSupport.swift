import Formats
import Foundation

/// Helpers shared by the test targets: where the fixtures are, hex, python3 and an independent PNG checker.
public enum TestSupport {
    /// The repository root, found from this file's path (as swift-argument-parser finds its snapshots).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The project's own fixtures.
    public static let fixtures = repositoryRoot.appendingPathComponent("fixtures")

    /// Real photographs in `../shared/fixtures/images` beside the repository, when that folder exists (tests using
    /// it are skipped otherwise).
    public static let sharedImages = repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/images")

    /// The path of `python3` on `PATH`, if any.
    public static let python3: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/python3" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// Decodes hex (whitespace ignored).
    public static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { index in
            UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16)!
        }
    }

    /// A small, valid PNG file whose pixels follow `label` (different labels, different bytes): plans check that
    /// an initial reference PNG decodes.
    package static func tinyPNG(_ label: String) -> [UInt8] {
        var seed: UInt64 = 1_469_598_103_934_665_603  // FNV-1a over the label
        for byte in label.utf8 { seed = (seed ^ UInt64(byte)) &* 1_099_511_628_211 }
        return PNGEncoder.encode(sampleImage(width: 4, height: 4, seed: seed))
    }

    /// A deterministic test image: gradients plus pseudo-random noise, so every filter gets used.
    package static func sampleImage(width: Int, height: Int, seed: UInt64 = 1) -> RasterImage {
        var state = seed | 1  // xorshift64: any fixed sequence of noise will do
        var pixels = [UInt8]()
        for y in 0..<height {
            for x in 0..<width {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let noise = Int(state % 41)
                pixels += [
                    UInt8((x * 255 / max(width - 1, 1) + noise) % 256), UInt8(y * 255 / max(height - 1, 1)),
                    UInt8((x ^ y) & 0xFF),
                ]
            }
        }
        return RasterImage(width: width, height: height, pixels: pixels)
    }

    /// The mean absolute difference per channel between two same-sized images, 0…255.
    package static func meanDistance(_ first: RasterImage, _ second: RasterImage) -> Double {
        precondition(first.pixels.count == second.pixels.count)
        let total = zip(first.pixels, second.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        return Double(total) / Double(first.pixels.count)
    }

    /// Runs `python3 -c script arguments…` and returns its standard output.
    public static func runPython(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python3!)
        process.arguments = ["-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// An independent PNG checker in standard-library Python: it walks the chunks, verifies every CRC,
    /// checks IHDR, inflates the concatenated IDAT data, checks its length, and for 8-bit RGB unfilters the
    /// rows and writes the raw pixels to the second argument. It prints `OK <width> <height> <bit depth>
    /// <color type>` or `BAD <reason>`.
    public static let pythonPNGChecker = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        if data[:8] != b'\\x89PNG\\r\\n\\x1a\\n': print('BAD signature'); sys.exit(1)
        pos, chunks = 8, []
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            (crc,) = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
            if zlib.crc32(kind + body) & 0xffffffff != crc: print('BAD crc', kind); sys.exit(1)
            chunks.append((kind, body)); pos += 12 + length
        if chunks[0][0] != b'IHDR' or chunks[-1][0] != b'IEND': print('BAD order'); sys.exit(1)
        w, h, depth, ctype, comp, filt, inter = struct.unpack('>IIBBBBB', chunks[0][1])
        raw = zlib.decompress(b''.join(b for k, b in chunks if k == b'IDAT'))
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
        stride = (w * channels * depth + 7) // 8
        if inter == 0 and len(raw) != h * (stride + 1): print('BAD length', len(raw)); sys.exit(1)
        if len(sys.argv) > 2 and (depth, ctype, inter) == (8, 2, 0):
            out, prev = bytearray(), bytearray(stride)
            for y in range(h):
                f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
                for i in range(stride):
                    a = row[i - 3] if i >= 3 else 0; b = prev[i]; c = prev[i - 3] if i >= 3 else 0
                    if f == 1: row[i] = (row[i] + a) & 255
                    elif f == 2: row[i] = (row[i] + b) & 255
                    elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
                    elif f == 4:
                        p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                out += row; prev = row
            open(sys.argv[2], 'wb').write(out)
        print('OK', w, h, depth, ctype)
        """

    /// Calls `body` with a fresh temporary directory, removed afterwards.
    public static func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        try FrameChainTestKit.withTemporaryDirectory { try body(URL(fileURLWithPath: $0)) }
    }
}
