/// A PNG that could not be read: what kind of problem, and a one-line description naming the detail.
///
/// The description is stable and reads as `PNG error (crc mismatch): CRC mismatch in IDAT chunk at offset 33`.
/// Match a kind with `catch PNGError.crcMismatch`.
package struct PNGError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The stable name of the kind, e.g. `crc mismatch`.
        package let rawValue: String

        /// Creates a kind from its name.
        package init(rawValue: String) { self.rawValue = rawValue }

        /// The bytes do not start with the PNG signature.
        package static let notPNG = Code(rawValue: "not a PNG")
        /// The file ends inside a chunk or before `IEND`.
        package static let truncated = Code(rawValue: "truncated")
        /// A chunk's CRC does not match its type and data.
        package static let crcMismatch = Code(rawValue: "crc mismatch")
        /// A chunk is malformed, missing, misplaced or has invalid values.
        package static let invalidChunk = Code(rawValue: "invalid chunk")
        /// The compressed or filtered image data is corrupt or has the wrong length.
        package static let corruptData = Code(rawValue: "corrupt data")
        /// The image is valid but uses a feature this decoder does not implement.
        package static let unsupported = Code(rawValue: "unsupported")
        /// The image is larger than the decoder's pixel limit.
        package static let tooLarge = Code(rawValue: "too large")

        /// The kind's name.
        package var description: String { rawValue }

        /// Matches an error against a kind, for `catch PNGError.crcMismatch`.
        package static func ~= (code: Code, error: any Error) -> Bool {
            (error as? PNGError)?.code == code
        }
    }

    /// The kind of problem.
    package var code: Code
    /// What exactly is wrong, for people.
    package var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of problem.
    ///   - message: What exactly is wrong.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `PNG error (<kind>): <message>`.
    package var description: String { "PNG error (\(code)): \(message)" }
}

extension PNGError {
    /// The bytes do not start with the PNG signature.
    package static var notPNG: Code { .notPNG }
    /// The file ends inside a chunk or before `IEND`.
    package static var truncated: Code { .truncated }
    /// A chunk's CRC does not match its type and data.
    package static var crcMismatch: Code { .crcMismatch }
    /// A chunk is malformed, missing, misplaced or has invalid values.
    package static var invalidChunk: Code { .invalidChunk }
    /// The compressed or filtered image data is corrupt or has the wrong length.
    package static var corruptData: Code { .corruptData }
    /// The image is valid but uses a feature this decoder does not implement.
    package static var unsupported: Code { .unsupported }
    /// The image is larger than the decoder's pixel limit.
    package static var tooLarge: Code { .tooLarge }
}
