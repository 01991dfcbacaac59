import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real nginx serving a WebDAV directory on 127.0.0.1 — the remote cache of docs/REMOTE.md, with exactly the
/// configuration documented there — started for one test in a temporary directory of its own and stopped with it.
///
/// Needs Debian's `nginx` and `libnginx-mod-http-dav-ext` (`.ci/run` installs them). Tests that use it are skipped
/// when nginx is missing, except under `CI=true`, where they run and fail.
public final class NginxServer: @unchecked Sendable {
    /// The directory holding the configuration, logs and the served root.
    public let directory: String
    /// The served directory (`{base}` is its `cache/` folder).
    public let root: String
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    /// The remote cache's base URL: `http://127.0.0.1:<port>/cache`.
    public var baseURL: String { "http://127.0.0.1:\(port)/cache" }
    /// The access and error logs.
    public var logFiles: [String] { [directory + "/access.log", directory + "/error.log"] }

    private let process: Process

    /// The nginx executable, if installed.
    public static let executable: String? = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/opt/homebrew/bin/nginx"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Debian's WebDAV extension module (PROPFIND, OPTIONS), loaded when present.
    static let davExtensionModule = "/usr/lib/nginx/modules/ngx_http_dav_ext_module.so"

    /// Whether tests that need nginx should run: nginx is installed, or `CI=true` (where a missing nginx must fail).
    public static var shouldRun: Bool {
        executable != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// The configuration, as docs/REMOTE.md shows it: WebDAV `PUT` with `create_full_put_path`, and optionally a
    /// required `Authorization` header.
    public static func configuration(
        directory: String, port: Int, requiredAuthorization: String?, loadDavExtension: Bool
    ) -> String {
        let auth =
            requiredAuthorization.map {
                "        if ($http_authorization != \"\($0)\") { return 401; }\n"
            } ?? ""
        return """
            \(loadDavExtension ? "load_module \(davExtensionModule);\n" : "")daemon off;
            worker_processes 1;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log;
            events { worker_connections 256; }
            http {
                access_log \(directory)/access.log;
                client_body_temp_path \(directory)/root/.upload;
                proxy_temp_path \(directory)/temp; fastcgi_temp_path \(directory)/temp;
                uwsgi_temp_path \(directory)/temp; scgi_temp_path \(directory)/temp;
                server {
                    listen 127.0.0.1:\(port);
                    root \(directory)/root;
                    client_max_body_size 1g;
            \(auth)        location /cache/ {
                        dav_methods PUT DELETE;
                        dav_ext_methods PROPFIND OPTIONS;
                        create_full_put_path on;
                        dav_access user:rw group:r all:r;
                    }
                }
            }

            """
    }

    /// Starts nginx on a free port and waits until it accepts connections.
    ///
    /// - Parameter requiredAuthorization: When given, any request without exactly this `Authorization` header
    ///   gets 401.
    /// - Throws: When nginx is not installed or does not start.
    public init(requiredAuthorization: String? = nil) throws {
        guard let executable = Self.executable else {
            throw NginxError("nginx is not installed (apt-get install nginx libnginx-mod-http-dav-ext)")
        }
        var template = Array((NSTemporaryDirectory() + "/framechain-nginx-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw NginxError("cannot create a temporary directory") }
        directory = String(cString: created)
        root = directory + "/root"
        // The workers run as `nobody`: they must reach the root and write into it.
        try FileManager.default.createDirectory(atPath: root + "/cache", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/temp", withIntermediateDirectories: true)
        chmod(directory, 0o755)
        chmod(root, 0o777)
        chmod(root + "/cache", 0o777)
        var lastError = ""
        for _ in 0..<5 {
            let port = try Self.freePort()
            let configurationPath = directory + "/nginx.conf"
            try Self.configuration(
                directory: directory, port: port, requiredAuthorization: requiredAuthorization,
                loadDavExtension: FileManager.default.fileExists(atPath: Self.davExtensionModule)
            ).write(toFile: configurationPath, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-p", directory, "-c", configurationPath, "-e", directory + "/error.log"]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if Self.waitUntilListening(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            lastError = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw NginxError("nginx did not start: \(lastError.suffix(500))")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The process id of the nginx master (a test may stop it from elsewhere, e.g. from a generator).
    public var processID: Int32 { process.processIdentifier }

    /// Whether nginx is running.
    public var isRunning: Bool { process.isRunning }

    /// Stops nginx (fast shutdown) and waits for it; nothing happens if it already stopped.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The files under `cache/` (relative paths like `cas/ab12…`), sorted.
    public func storedFiles() -> [String] {
        let base = root + "/cache"
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.append(relative)
            }
        }
        return files.sorted()
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NginxError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw NginxError("cannot find a free port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func waitUntilListening(port: Int, process: Process) -> Bool {
        for _ in 0..<100 {
            guard process.isRunning else { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return true }
            usleep(50_000)
        }
        return false
    }
}

/// nginx could not be started.
public struct NginxError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
