import Foundation
import FrameChainTestKit
import Testing

// Helpers of the remote-cache tests: the example storyboard on a `command` backend (a deterministic painter, or a
// program that always fails), and inspection of stores, outputs and the remote's files.

/// A deterministic painter for the `command` backend: an 8×8 PNG whose colours follow the request's prompt, inputs
/// and take (not the temporary input paths), so two machines paint the same request identically.
let painterScript = """
    import hashlib, json, struct, sys, zlib
    request = json.load(sys.stdin)
    seed = hashlib.sha256(json.dumps([request["prompt"], request["inputs"], request.get("take")]).encode()).digest()
    rows = b"".join(b"\\x00" + bytes(seed[(y * 3) % 30:(y * 3) % 30 + 3]) * 8 for y in range(8))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    sys.stdout.buffer.write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    """

/// A scratch area for a remote test: the painter, plan writers, and every output the tool printed (kept so the
/// token can be searched for in them).
final class RemoteScenario: @unchecked Sendable {
    let directory: String
    let server: NginxServer
    let token: String
    private(set) var printed: [String] = []

    init(directory: String, server: NginxServer, token: String) throws {
        self.directory = directory
        self.server = server
        self.token = token
        try Array(painterScript.utf8).write(to: directory + "/painter.py")
    }

    /// The argv of the painter.
    var painter: [String] { ["python3", directory + "/painter.py"] }
    /// The argv of a program that fails on any call.
    static let failing = ["/bin/sh", "-c", "echo no generator here >&2; exit 1"]

    /// Writes the example storyboard (4 scenes, 12 links) with a `command` backend running `command`, optionally
    /// editing its scenes; returns the plan's path.
    func plan(_ name: String, command: [String], edit: (inout [[String: Any]]) -> Void = { _ in }) throws -> String {
        let example = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: fixturesDirectory() + "/plans/perfume-ad.json")))
        var plan = try #require(example as? [String: Any])
        plan["generator"] = [
            "backend": "command", "model": "test-painter-v1", "params": [String: Any](),
            "options": ["command": command],
        ]
        plan["initial_reference"] = fixturesDirectory() + "/images/bottle.png"
        var scenes = try #require(plan["scenes"] as? [[String: Any]])
        edit(&scenes)
        plan["scenes"] = scenes
        let path = directory + "/\(name).json"
        try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs framechain with the token in the environment; keeps what it printed.
    func framechain(_ arguments: [String], remote: Bool = true) throws -> ProcessResult {
        let result = try runFramechain(
            arguments + (remote ? ["--remote", server.baseURL] : []), scratch: directory, workingDirectory: directory,
            environment: ["FRAMECHAIN_REMOTE_TOKEN": token])
        printed += [result.outputText, result.error]
        return result
    }

    /// The remote's files under `ac/` and `cas/`.
    func remoteFiles(_ folder: String) -> [String] {
        server.storedFiles().filter { $0.hasPrefix(folder + "/") }
    }

    /// The images (not the manifest) an output directory holds, by name.
    func images(in directory: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for name in directoryListing(directory) where name.hasSuffix(".png") {
            result[name] = try readFile(directory + "/" + name)
        }
        return result
    }

    /// Every file under `paths` (recursively) that contains the token, and every printed output that does.
    func placesHoldingToken(_ paths: [String]) throws -> [String] {
        let needle = Array(token.utf8)
        var found: [String] = []
        for path in paths {
            var files = [path]
            if let walker = FileManager.default.enumerator(atPath: path) {
                files = walker.compactMap { $0 as? String }.map { path + "/" + $0 }
            }
            for file in files {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue
                else { continue }
                let bytes = try readFile(file)
                if bytes.count >= needle.count,
                    bytes.indices.dropLast(needle.count - 1).contains(where: {
                        bytes[$0..<$0 + needle.count].elementsEqual(needle)
                    })
                {
                    found.append(file)
                }
            }
        }
        return found + printed.filter { $0.contains(token) }
    }
}

/// Parses a JSON object printed by the tool.
func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

/// The links of a `run --json` or `status --json` document.
func jsonLinks(_ document: [String: Any]) -> [[String: Any]] {
    document["links"] as? [[String: Any]] ?? []
}

extension Array where Element == UInt8 {
    func write(to path: String) throws { try writeFile(path, self) }
}
