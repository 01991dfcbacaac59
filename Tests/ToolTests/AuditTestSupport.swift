import Formats
import FrameChainTestKit
import Foundation
import Store
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A scratch directory with a plan that uses the `command` backend, and helpers to run the built `framechain`
/// against stores inside it. Removed when the test ends.
final class AuditWorkspace {
    /// The scratch directory.
    let root: String
    /// The default store.
    var store: String { root + "/store" }
    /// The file the generator appends one line to per call.
    var callLog: String { root + "/calls.log" }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/framechain-audit-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        root = String(cString: created)
        try Self.write(TestSupport.tinyPNG("initial bottle image"), to: root + "/images/bottle.png")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The PNG file signature.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Writes a plan of `scenes` scenes to `name` and returns its path.
    ///
    /// The generator prints the PNG signature and the SHA-256 of its stdin (the request), so its output is
    /// deterministic and differs per request; each call appends a line to ``callLog``. A request whose prompt
    /// contains `FAILME` fails (exit 1).
    @discardableResult
    func writePlan(
        _ name: String = "plan.json", scenes: Int = 3, prompt: (Int, String) -> String = { "\($1) of scene \($0)" },
        planName: String = "audit-ad"
    ) throws -> String {
        let script =
            "req=$(cat); echo call >> '\(callLog)'; case \"$req\" in *FAILME*) echo boom >&2; exit 1;; esac; "
            + "printf '\\211PNG\\r\\n\\032\\n'; printf '%s' \"$req\" | sha256sum"
        func quoted(_ text: String) -> String {
            var out = "\""
            for character in text {
                switch character {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                default: out.append(character)
                }
            }
            return out + "\""
        }
        let sceneList = (1...scenes).map { scene in
            "{\"reference\": \(quoted(prompt(scene, "reference"))), \"start\": \(quoted(prompt(scene, "start"))), "
                + "\"end\": \(quoted(prompt(scene, "end")))}"
        }.joined(separator: ",\n    ")
        let text = """
            {
              "format": "framechain.plan/v1",
              "name": \(quoted(planName)),
              "generator": {
                "backend": "command",
                "model": "sha-png",
                "params": { "width": 64 },
                "options": { "command": ["sh", "-c", \(quoted(script))] }
              },
              "initial_reference": "images/bottle.png",
              "consistency": { "subject_description": "a faceted glass bottle" },
              "scenes": [
                \(sceneList)
              ]
            }
            """
        let path = root + "/" + name
        try Self.write(Array(text.utf8), to: path)
        return path
    }

    /// How many times the generator has been called.
    var generatorCalls: Int {
        ((try? String(contentsOfFile: callLog, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    // MARK: - Running framechain

    /// What a finished `framechain` process left.
    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    /// Runs `framechain` with `arguments` and `--store` (unless `store` is nil), in ``root``.
    @discardableResult
    func framechain(_ arguments: [String], store: String? = "default") throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        var args = arguments
        if let store { args += ["--store", store == "default" ? self.store : store] }
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["FRAMECHAIN_STORE"] = nil
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let name = UUID().uuidString
        let outputPath = NSTemporaryDirectory() + "/\(name).out"
        let errorPath = NSTemporaryDirectory() + "/\(name).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }

    /// Runs `framechain` and requires exit status 0, returning standard output.
    @discardableResult
    func succeed(_ arguments: [String], store: String? = "default") throws -> String {
        let result = try framechain(arguments, store: store)
        #expect(result.status == 0, "framechain \(arguments.joined(separator: " ")): \(result.error)")
        return result.output
    }

    /// Runs `framechain … --json` and parses its output.
    func json(_ arguments: [String], store: String? = "default") throws -> [String: Any] {
        let output = try succeed(arguments + ["--json"], store: store)
        let value = try JSONSerialization.jsonObject(with: Data(output.utf8))
        return try #require(value as? [String: Any])
    }

    /// The `framechain` executable under test (see `framechainBinary()` in TestSupport.swift).
    static func binary() throws -> String { try framechainBinary() }

    // MARK: - Files

    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Every regular file under `directory` (relative path → bytes' digest).
    static func fileHashes(_ directory: String, includingDatabase: Bool = true) throws -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return result }
        while let relative = walker.nextObject() as? String {
            if !includingDatabase && relative.hasPrefix("framechain.sqlite") { continue }
            // SQLite's shared-memory WAL index is rewritten by every reader (read marks); it holds no data and is
            // rebuilt from the WAL when missing, so it is not part of the store's content.
            if relative == "framechain.sqlite-shm" { continue }
            let path = directory + "/" + relative
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            result[relative] = isDirectory.boolValue ? "directory" : SHA256.hash(data: try read(path)).description
        }
        return result
    }

    /// Every row of every table of the store at `directory`.
    static func tableRows(_ directory: String) throws -> [String: [Row]] {
        let db = try Database(path: directory + "/framechain.sqlite", create: false)
        var result: [String: [Row]] = [:]
        for table in try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap({
            $0.string(0)
        }) {
            result[table] = try db.rows("SELECT * FROM \"\(table)\" ORDER BY rowid")
        }
        return result
    }

    /// Executes SQL against the store (to damage it on purpose).
    func execute(_ sql: String, in store: String? = nil) throws {
        let db = try Database(path: (store ?? self.store) + "/framechain.sqlite", create: false)
        try db.execute(sql)
    }

    /// The path of a blob's file in the store.
    func blobPath(_ digest: String, in store: String? = nil) -> String {
        let hex = digest.dropFirst("sha256:".count)
        return "\(store ?? self.store)/blobs/sha256/\(hex.prefix(2))/\(hex)"
    }

    /// The image files (not the manifest) of an output directory, name → bytes.
    static func images(in directory: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".png") {
            result[name] = try read(directory + "/" + name)
        }
        return result
    }
}
