import Chain

/// A `multipart/form-data` body (RFC 7578) built in memory.
struct MultipartForm: Sendable {
    /// The boundary; random, so it cannot occur in the parts by accident.
    let boundary: String
    /// The encoded parts so far.
    private(set) var bytes: [UInt8] = []

    init() {
        var random = SystemRandomNumberGenerator()
        boundary = "framechain-" + (0..<4).map { _ in String(random.next() as UInt64, radix: 16) }.joined()
    }

    /// The `Content-Type` header value.
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Appends a text field.
    mutating func append(field name: String, value: String) {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.escaped(name))\"\r\n\r\n".utf8)
        bytes += Array(value.utf8)
        bytes += Array("\r\n".utf8)
    }

    /// Appends a file part.
    mutating func append(file name: String, filename: String, contentType: String, contents: [UInt8]) {
        bytes += Array(
            ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.escaped(name))\"; "
                + "filename=\"\(Self.escaped(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n").utf8)
        bytes += contents
        bytes += Array("\r\n".utf8)
    }

    /// The complete body, closing delimiter included.
    var body: [UInt8] { bytes + Array("--\(boundary)--\r\n".utf8) }

    private static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "%22"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
