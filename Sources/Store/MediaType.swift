/// The media formats framechain stores, recognised by content (magic bytes), never by file name: the images of
/// the frame chains and the MP4 videos of the clip stage.
public enum MediaType: String, Sendable, Hashable, CaseIterable {
    case png = "image/png"
    case jpeg = "image/jpeg"
    case webp = "image/webp"
    /// An ISO base media file (MP4) video: what the clip stage makes.
    case mp4 = "video/mp4"

    /// The IANA media type, e.g. `image/png`.
    public var mimeType: String { rawValue }

    /// The conventional file extension without a dot, e.g. `png`, `jpg`, `webp`.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .webp: "webp"
        case .mp4: "mp4"
        }
    }

    /// Whether this is an image format (PNG, JPEG, WebP), as frames and references must be.
    public var isImage: Bool { self != .mp4 }

    /// Recognises any stored media type by its leading bytes: an image (``sniff(_:)``) or an MP4 video (an ISO
    /// base media file whose first box is `ftyp`).
    ///
    /// - Parameter prefix: At least the first 12 bytes of the content.
    /// - Returns: The media type, or `nil` when the bytes are none of the known formats.
    public static func recognize<C: Collection<UInt8>>(_ prefix: C) -> MediaType? {
        if let image = sniff(prefix) { return image }
        let head = Array(prefix.prefix(12))
        if head.count >= 12, head[4..<8].elementsEqual(Array("ftyp".utf8)) { return .mp4 }
        return nil
    }

    /// Recognises an image by its leading bytes (never a video: see ``recognize(_:)``).
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
