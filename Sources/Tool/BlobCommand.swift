import ArgumentParser
import Store

/// `framechain blob`: plumbing over the blob store, like `sha256sum`, `git hash-object -w` and `git cat-file`.
struct BlobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blob",
        abstract: "Hash, store and print blobs.",
        subcommands: [BlobHashCommand.self, BlobPutCommand.self, BlobCatCommand.self]
    )

    /// One output line, `sha256:<hex>  FILE`, escaped as `sha256sum` does.
    ///
    /// A name holding a backslash, a newline or a carriage return is escaped (`\\`, `\n`, `\r`) and the line
    /// starts with a backslash, so that every line stays one line.
    static func line(digest: Digest, path: String) -> String {
        guard path.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\r" }) else { return "\(digest)  \(path)" }
        var escaped = ""
        for character in path {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.append(character)
            }
        }
        return "\\\(digest)  \(escaped)"
    }

    /// Checks that the command line names at least one file and no empty path.
    static func validate(files: [String]) throws {
        if files.isEmpty { throw ValidationError("Name at least one file.") }
        if files.contains("") { throw ValidationError("A file path must not be empty.") }
    }
}
