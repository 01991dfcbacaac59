import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fake Replicate/OpenAI server of `BackendsTests/Servers/fake_provider.py`, as a child process on 127.0.0.1,
/// for the process-level tests. (BackendsTests has an async twin, `FakeProvider`; this one talks to the server over a
/// plain socket so that ToolTests needs no HTTP client.)
///
/// Call ``stop()`` when done (it is idempotent; `deinit` calls it too).
final class FakeProviderServer {
    /// The server process.
    let process: Process
    /// The port the server chose.
    let port: Int

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The server script, found next to the BackendsTests sources.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("BackendsTests/Servers/fake_provider.py").path
    }

    /// Starts the server playing `scenario` and waits for it to print its port.
    init(scenario: String = "ok") throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--port", "0", "--scenario", scenario]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        while true {
            let chunk = stdout.fileHandleForReading.readData(ofLength: 1)
            guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ServerError(
                "fake_provider.py did not print its port (got \"\(String(decoding: line, as: UTF8.self))\")")
        }
        self.process = process
        self.port = port
    }

    deinit { stop() }

    /// Kills the server (SIGKILL: the test process may hand SIGTERM down blocked or ignored) and waits for it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Changes the server's behaviour (`POST /_control`): `scenario`, `fail_prompt`, `version`, `echo_token`.
    func control(_ settings: [String: Any]) throws {
        let body = try JSONSerialization.data(withJSONObject: settings)
        let reply = try LocalHTTP.request(port: port, method: "POST", path: "/_control", body: [UInt8](body))
        guard reply.status == 200 else { throw ServerError("POST /_control answered \(reply.status)") }
    }

    /// Every request the server has seen, oldest first (`GET /_log`): `method`, `path`, `headers`, `json`…
    func requests() throws -> [[String: Any]] {
        let reply = try LocalHTTP.request(port: port, method: "GET", path: "/_log")
        guard reply.status == 200,
            let log = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [[String: Any]]
        else { throw ServerError("GET /_log answered \(reply.status)") }
        return log
    }

    /// The requests whose method is `method` and whose path satisfies `path`.
    func requests(_ method: String, where path: (String) -> Bool) throws -> [[String: Any]] {
        try requests().filter { $0["method"] as? String == method && path($0["path"] as? String ?? "") }
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// A minimal blocking HTTP/1.1 client for 127.0.0.1 (one request per connection, `Connection: close`).
enum LocalHTTP {
    struct Reply {
        let status: Int
        let body: [UInt8]
        /// The status line and header lines, as received.
        var head: String = ""
    }

    /// Connects to 127.0.0.1:`port`; returns the socket, or the `errno` of the failed connect.
    static func connect(port: Int) -> Result<Int32, POSIXError> {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if os(Linux)
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #else
                    Darwin.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #endif
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            return .failure(POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
        }
        return .success(fd)
    }

    /// Sends one request and reads the whole reply.
    static func request(
        port: Int, method: String, path: String, body: [UInt8] = [], headers: [(String, String)] = []
    ) throws -> Reply {
        let fd = try connect(port: port).get()
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty && !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            head += "Content-Type: application/json\r\n"
        }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let message = Array(head.utf8) + body
        var sent = 0
        while sent < message.count {
            let count = message[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            sent += count
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            if count == 0 { break }
            reply += buffer[..<count]
        }
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        let end = reply.count < 4 ? nil : (0...(reply.count - 4)).first { reply[$0..<$0 + 4].elementsEqual(separator) }
        guard let end, let statusLine = String(decoding: reply[..<end], as: UTF8.self).split(separator: "\r\n").first,
            let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { throw FakeProviderServer.ServerError("malformed HTTP reply to \(method) \(path)") }
        return Reply(
            status: status, body: Array(reply[(end + 4)...]), head: String(decoding: reply[..<end], as: UTF8.self))
    }
}
