import ArgumentParser
import Foundation
import Proxy
import Store

/// `framechain serve`: the caching proxy for pipelines that keep their own Replicate/OpenAI code (docs/PROXY.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Replicate predictions API and the OpenAI images API from the store (a caching proxy).",
        discussion: """
            Point an unmodified client at it: REPLICATE_BASE_URL=http://127.0.0.1:PORT or \
            OPENAI_BASE_URL=http://127.0.0.1:PORT/v1. record answers hits from the store and forwards misses \
            upstream, storing each output at once; replay never touches the network and answers a miss with a \
            404 naming the key and the nearest recorded request; passthrough forwards and records nothing. The \
            first line printed is `listening on http://HOST:PORT`. A session in record or replay mode is one run \
            (plan name "framechain serve"); SIGINT or SIGTERM ends it. Listening on a non-loopback address needs \
            --token-file: clients then present that token as their API token, and upstream calls use \
            REPLICATE_API_TOKEN / OPENAI_API_KEY from the proxy's environment. With --remote (or $FRAMECHAIN_REMOTE), \
            record mode looks a local miss up on the shared remote cache before calling upstream, and uploads \
            what upstream makes (docs/REMOTE.md).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp("HOST:PORT to listen on (port 0 picks one).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8787"

    @Option(name: .customLong("mode"), help: "record, replay or passthrough.")
    var mode: String = "record"

    @Option(name: .customLong("upstream-replicate"), help: ArgumentHelp("Replicate's API base URL.", valueName: "url"))
    var upstreamReplicate: String = ProxyConfiguration.defaultReplicate

    @Option(
        name: .customLong("upstream-openai"), help: ArgumentHelp("OpenAI's API base URL (with /v1).", valueName: "url"))
    var upstreamOpenAI: String = ProxyConfiguration.defaultOpenAI

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp("A file holding the token clients must present (required off loopback).", valueName: "file"))
    var tokenFile: String?

    @Option(name: .customLong("max-body-mb"), help: "The largest request body accepted, in MiB.")
    var maxBodyMB: Int = 64

    @Option(
        name: .customLong("idle-timeout-s"),
        help: "Close a connection that sends nothing for this many seconds (a stalled or slowloris client).")
    var idleTimeout: Int = 30

    var address: (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func validate() throws {
        guard let address else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8787.") }
        guard ProxyMode(rawValue: mode) != nil else {
            throw ValidationError("--mode must be record, replay or passthrough, not '\(mode)'.")
        }
        for (name, url) in [("--upstream-replicate", upstreamReplicate), ("--upstream-openai", upstreamOpenAI)]
        where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("\(name) must be an http:// or https:// URL.")
        }
        if !ProxyConfiguration.isLoopback(address.host) && tokenFile == nil {
            throw ValidationError(
                "--listen \(listen) is not a loopback address: pass --token-file so that only clients holding the token can read recorded outputs and spend the upstream tokens."
            )
        }
        if maxBodyMB < 1 { throw ValidationError("--max-body-mb must be at least 1.") }
        if idleTimeout < 1 { throw ValidationError("--idle-timeout-s must be at least 1.") }
    }

    func run() async throws {
        try await ExitStatus.reportingErrors {
            var configuration = ProxyConfiguration(
                host: address!.host, port: address!.port, mode: ProxyMode(rawValue: mode)!,
                upstreamReplicate: upstreamReplicate, upstreamOpenAI: upstreamOpenAI, maxBodyBytes: maxBodyMB << 20,
                idleTimeoutSeconds: idleTimeout)
            if let tokenFile {
                guard let data = FileManager.default.contents(atPath: tokenFile),
                    let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                    !token.isEmpty
                else {
                    throw StoreError(
                        code: .invalidInput, message: "--token-file \(tokenFile): missing, unreadable or empty")
                }
                configuration.clientToken = token
                let environment = ProcessInfo.processInfo.environment
                configuration.upstreamTokens = [
                    "replicate": environment["REPLICATE_API_TOKEN"], "openai": environment["OPENAI_API_KEY"],
                ].compactMapValues { $0 }
            }
            let store = try global.openStore()
            let remote = try remoteOptions.makeSession()
            defer { RemoteOptions.printWarnings(of: remote) }
            let server = try ProxyServer(configuration: configuration, store: store, remote: remote)
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            let mode = configuration.mode.rawValue
            let runID = server.runID
            let remoteNote = remote.map { "  remote \($0.cache.displayAddress) (\($0.mode.rawValue))" } ?? ""
            try await server.run { port in
                var line = "listening on http://\(host):\(port)  mode \(mode)" + remoteNote
                if let runID { line += "  run \(runID)" }
                StandardStream.output.writeLine(line)
            }
        }
    }
}
