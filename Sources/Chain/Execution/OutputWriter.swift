import Formats
import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a run's images (`ref_01.png`, …) and `manifest.json` into an output directory, each verified
/// against its digest as it is copied out of the store.
///
/// `run --out` and `replay` share it, so a replay writes the same files and the same manifest as the run did.
package struct OutputWriter {
    let store: Store

    /// Creates a writer that copies blobs out of `store`.
    package init(store: Store) {
        self.store = store
    }

    /// The manifest format written by this version.
    static let manifestFormat = "framechain.manifest/v1"

    /// Writes every link's output file and `manifest.json`.
    ///
    /// - Parameters:
    ///   - missing: Outputs known to be absent from the store: their links get `"file": null` and
    ///     `"missing": true` instead of a file (used by `replay`).
    /// - Throws: ``StoreError`` when a blob is missing or corrupt (a corrupt one is moved aside, so that the next run
    ///   regenerates it), or a file cannot be written.
    package func write(
        runID: String, planName: String, status: RunStatus, links: [RunLink], to directory: String,
        missing: Set<Digest> = []
    ) throws {
        do { try FileSystem.makeDirectories(directory) } catch {
            throw StoreError(code: .io, message: "\(directory): cannot create directory: \(error)")
        }
        var entries: [JSONValue] = []
        for link in links {
            var entry: [String: JSONValue] = [
                "node": .string(link.node.description),
                "key": link.key.map { .string($0.description) } ?? .null,
                "output": link.output.map { .string($0.description) } ?? .null,
                "outcome": .string(link.outcome.rawValue),
                "reason": link.reason.map(JSONValue.string) ?? .null,
                "prompt": .string(link.prompt),
                "file": .null,
            ]
            if let output = link.output, missing.contains(output) {
                entry["missing"] = .bool(true)
            } else if let output = link.output {
                let stored = link.mediaType == nil ? try store.blob(for: output)?.mediaType : nil
                let mediaType = link.mediaType ?? stored ?? .png
                let name = link.node.fileName(extension: mediaType.fileExtension)
                let path = directory + "/" + name
                if case .failure(let error) = Result(catching: { () throws(StoreError) in
                    try store.copy(output, toFileAt: path)
                }) {
                    guard error.code == .integrity else { throw error }
                    // As with a damaged input: move the file aside, so that the next run finds the output missing
                    // and regenerates it instead of failing here again.
                    try? store.quarantine(output)
                    throw StoreError(
                        code: .integrity,
                        message: "\(error.message) (the output of \(link.node)); it was moved aside, and the next "
                            + "run regenerates it")
                }
                entry["file"] = .string(name)
            }
            if let error = link.error { entry["error"] = .string(error) }
            entries.append(.object(entry))
        }
        let manifest: JSONValue = .object([
            "format": .string(Self.manifestFormat),
            "run": .string(runID),
            "plan": .string(planName),
            "status": .string(status.rawValue),
            "links": .array(entries),
        ])
        try writeFile(Array((JSONText.pretty(manifest) + "\n").utf8), to: directory + "/manifest.json")
    }

    private func writeFile(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.ioError("cannot create", temporary) }
        let written = bytes.withUnsafeBytes { writeBytes(fd, $0.baseAddress!, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else { throw Self.ioError("cannot write", path) }
    }

    static func ioError(_ what: String, _ path: String) -> StoreError {
        StoreError(code: .io, message: "\(path): \(what): \(String(cString: strerror(errno)))")
    }
}

private func writeBytes(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
