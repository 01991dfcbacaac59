import Foundation
import FrameChainTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A running `framechain serve` (a real process on 127.0.0.1), started with `--listen 127.0.0.1:0`.
final class ServeProcess {
    let launched: LaunchedProcess
    let port: Int
    /// The first line it printed (`listening on http://127.0.0.1:PORT  mode record  run <id>`).
    let banner: String

    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// The run the session records (from the banner).
    var runID: String? {
        banner.components(separatedBy: "  run ").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    init(_ arguments: [String], scratch: String, environment: [String: String] = [:]) throws {
        launched = try launchFramechain(
            ["serve", "--listen", "127.0.0.1:0"] + arguments, scratch: scratch, environment: environment)
        let deadline = Date().addingTimeInterval(120)
        while true {
            let text = String(decoding: (try? readFile(launched.outputPath)) ?? [], as: UTF8.self)
            if let line = text.split(separator: "\n").first, text.contains("\n") {
                banner = String(line)
                break
            }
            if !launched.process.isRunning || Date() > deadline {
                let result = try launched.finish()
                throw ServeFailed(description: "framechain serve did not start: \(result.error)")
            }
            usleep(20_000)
        }
        guard
            let portText = banner.split(separator: " ").first(where: { $0.hasPrefix("http://") })?
                .split(separator: ":").last, let port = Int(portText)
        else { throw ServeFailed(description: "unexpected banner: \(banner)") }
        self.port = port
    }

    /// Stops the server with SIGTERM (ending its run) and returns what it printed.
    @discardableResult
    func stop() throws -> ProcessResult {
        if launched.process.isRunning { kill(launched.process.processIdentifier, SIGTERM) }
        return try launched.finish()
    }

    deinit {
        if launched.process.isRunning {
            kill(launched.process.processIdentifier, SIGKILL)
            launched.process.waitUntilExit()
        }
    }

    struct ServeFailed: Error, CustomStringConvertible { let description: String }
}

/// The Python environment with the official `replicate` and `openai` clients from PyPI: `$FRAMECHAIN_TEST_VENV`,
/// else `.build/proxy-venv` (`.ci/run` creates it). Tests that need it are skipped without it, unless `CI=true`,
/// where they fail.
enum ProxyVenv {
    static let directory: String =
        ProcessInfo.processInfo.environment["FRAMECHAIN_TEST_VENV"].flatMap { $0.isEmpty ? nil : $0 }
        ?? TestSupport.repositoryRoot.appendingPathComponent(".build/proxy-venv").path

    static var python: String { directory + "/bin/python" }

    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import replicate, openai"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether to run a venv test: yes when present, and also in CI so that the test fails there.
    static var shouldRun: Bool { available || inCI }
}

/// The proxy's test scripts (`Tests/ToolTests/ProxyScripts`).
enum ProxyScripts {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ProxyScripts/\(name)").path
    }

    /// Runs `python script arguments…` to completion with `environment` added; returns status and output.
    /// A `script` starting with `/` is a path; otherwise a file of `ProxyScripts`.
    static func run(
        python: String, _ script: String, _ arguments: [String], environment: [String: String] = [:],
        workingDirectory: String? = nil
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.hasPrefix("/") ? script : path(script)] + arguments
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        var inherited = ProcessInfo.processInfo.environment
        for name in ["REPLICATE_API_TOKEN", "OPENAI_API_KEY", "REPLICATE_BASE_URL", "OPENAI_BASE_URL"] {
            inherited[name] = nil
        }
        process.environment = inherited.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
