import Foundation
import MultipartKit
import NIOCore

/// A parsed `multipart/form-data` body: text fields and files, in the order they arrived.
struct FormData: Sendable {
    /// One part.
    struct Part: Sendable {
        /// The `name` of its `Content-Disposition`.
        var name: String
        /// The `filename`, for file parts.
        var filename: String?
        /// Its `Content-Type`, if given.
        var contentType: String?
        /// Its bytes.
        var body: [UInt8]
    }

    /// Every part, in order.
    var parts: [Part]

    /// The boundary named by a `Content-Type` header, or a 400 error.
    static func boundary(contentType: String?) throws(ProxyRequestError) -> String {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw ProxyRequestError("expected a multipart/form-data body (Content-Type: \(contentType ?? "none"))")
        }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else {
                continue
            }
            let value = pair[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(["\""]))
            if !value.isEmpty && value.count <= 200 { return value }
        }
        throw ProxyRequestError("the multipart/form-data Content-Type has no boundary parameter")
    }

    /// Parses `bytes` (see ``parse(_:contentType:)``).
    static func parse(bytes: [UInt8], contentType: String?) throws(ProxyRequestError) -> FormData {
        try parse(ByteBuffer(bytes: bytes), contentType: contentType)
    }

    /// Parses `body` with multipart-kit's parser.
    /// - Throws: ``ProxyRequestError`` (400) for a body that is not well-formed form data.
    static func parse(_ body: ByteBuffer, contentType: String?) throws(ProxyRequestError) -> FormData {
        let boundary = try boundary(contentType: contentType)
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var headers: [(String, String)] = []
        var bytes = ByteBuffer()
        var pending = false
        parser.onHeader = { name, value in
            headers.append((name, value))
            pending = true
        }
        parser.onBody = { chunk in
            bytes.writeBuffer(&chunk)
            pending = true
        }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: .init(headers), body: bytes))
            headers = []
            bytes = ByteBuffer()
            pending = false
        }
        do { try parser.execute(body) } catch {
            throw ProxyRequestError("the multipart/form-data body is malformed (boundary \(boundary))")
        }
        guard !pending, !parts.isEmpty else {
            throw ProxyRequestError("the multipart/form-data body ends before its closing boundary --\(boundary)--")
        }
        var result: [Part] = []
        for (index, part) in parts.enumerated() {
            guard let disposition = part.headers.first(name: "Content-Disposition"),
                let name = Self.parameter("name", in: disposition)
            else { throw ProxyRequestError("multipart part \(index + 1) has no Content-Disposition name") }
            result.append(
                Part(
                    name: name, filename: Self.parameter("filename", in: disposition),
                    contentType: part.headers.first(name: "Content-Type"), body: Array(buffer: part.body)))
        }
        return FormData(parts: result)
    }

    /// A `name="value"` parameter of a header value.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }
}
