import ArgumentParser
import Chain
import Foundation
import Remote

/// `--remote URL` and `--remote-mode`, shared by every command that can use a remote cache (docs/REMOTE.md).
struct RemoteOptions: ParsableArguments {
    @Option(
        name: .customLong("remote"),
        help: ArgumentHelp(
            "A remote cache on Bazel's HTTP protocol (default: $FRAMECHAIN_REMOTE); credentials come from "
                + "$FRAMECHAIN_REMOTE_TOKEN.", valueName: "url"))
    var remote: String?

    @Option(
        name: .customLong("remote-mode"),
        help: ArgumentHelp("read, write or read-write.", valueName: "mode"))
    var mode: String = RemoteMode.readWrite.rawValue

    /// The environment variable that names the remote when `--remote` is absent.
    static let environmentVariable = "FRAMECHAIN_REMOTE"

    func validate() throws {
        guard RemoteMode(rawValue: mode) != nil else {
            throw ValidationError("--remote-mode \(mode): expected read, write or read-write.")
        }
        if let address {
            do { _ = try HTTPRemoteCache(address: address) } catch {
                throw ValidationError("--remote: \(error)")
            }
        }
    }

    /// The remote's URL: `--remote`, else `$FRAMECHAIN_REMOTE` when set and not empty.
    var address: String? {
        if let remote { return remote }
        if let value = ProcessInfo.processInfo.environment[Self.environmentVariable], !value.isEmpty { return value }
        return nil
    }

    /// The remote cache, or `nil` when none is configured.
    func makeCache() throws -> HTTPRemoteCache? {
        guard let address else { return nil }
        return try HTTPRemoteCache(address: address)
    }

    /// A session on the remote cache in the chosen mode, or `nil` when none is configured.
    func makeSession() throws -> RemoteSession? {
        guard let cache = try makeCache() else { return nil }
        return RemoteSession(cache: cache, mode: RemoteMode(rawValue: mode) ?? .readWrite)
    }

    /// Prints the session's warnings (the remote is down; something was rejected) to standard error.
    static func printWarnings(of session: RemoteSession?) {
        for warning in session?.warnings ?? [] { StandardStream.error.writeLine("Warning: \(warning)") }
    }
}
