/// The image formats framechain accepts, recognised by content (magic bytes), never by file name.
public enum MediaType: String, Sendable, Hashable, CaseIterable {
    case png = "image/png"
    case jpeg = "image/jpeg"
    case webp = "image/webp"

    /// The IANA media type, e.g. `image/png`.
    public var mimeType: String { rawValue }

    /// The conventional file extension without a dot, e.g. `png`, `jpg`, `webp`.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .webp: "webp"
        }
    }

    /// Recognises an image by its leading bytes.
    ///
    /// - Parameter prefix: At least the first 12 bytes of the content (fewer bytes never match).
    /// - Returns: The media type, or `nil` if the bytes are not a PNG, JPEG or WebP image.
    public static func sniff<C: Collection<UInt8>>(_ prefix: C) -> MediaType? {
        let head = Array(prefix.prefix(12))
        if head.count >= 8, head[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .png
        }
        if head.count >= 3, head[0..<3].elementsEqual([0xFF, 0xD8, 0xFF]) {
            return .jpeg
        }
        if head.count >= 12, head[0..<4].elementsEqual(Array("RIFF".utf8)),
            head[8..<12].elementsEqual(Array("WEBP".utf8))
        {
            return .webp
        }
        return nil
    }
}
