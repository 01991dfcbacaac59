import Foundation
import FrameChainTestKit
import Store
import Testing

/// `framechain serve --remote`: two proxies on two stores share what upstream made through a real nginx remote.
@Suite(.serialized, .enabled(if: NginxServer.shouldRun, "nginx is not installed (CI=true runs these anyway)"))
struct ServeRemoteTests {
    static let body = Array(#"{"model":"gpt-image-1","prompt":"a red door, keep the frame identical"}"#.utf8)
    static let headers = [("Content-Type", "application/json"), ("Authorization", "Bearer sk-serve-remote")]

    @Test func aSecondProxyAnswersFromTheRemoteWithoutCallingUpstream() throws {
        try withTemporaryDirectory { directory in
            let remote = try NginxServer()
            defer { remote.stop() }
            let stand = try FakeProviderServer(scenario: "ok")
            try stand.control(["derived_openai": true])
            func serve(_ store: String, _ extra: [String] = []) throws -> ServeProcess {
                try ServeProcess(
                    [
                        "--store", "\(directory)/\(store)", "--upstream-replicate", stand.baseURL,
                        "--upstream-openai", stand.baseURL + "/v1", "--remote", remote.baseURL,
                    ] + extra, scratch: directory)
            }
            func generations() throws -> Int {
                try stand.requests("POST") { $0 == "/v1/images/generations" }.count
            }

            // A records through upstream, and uploads after its commit.
            let proxyA = try serve("A")
            #expect(proxyA.banner.contains("remote \(remote.baseURL) (read-write)"), "\(proxyA.banner)")
            let first = try LocalHTTP.request(
                port: proxyA.port, method: "POST", path: "/v1/images/generations", body: Self.body,
                headers: Self.headers)
            try proxyA.stop()
            #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
            #expect(try generations() == 1)
            #expect(remote.storedFiles().contains { $0.hasPrefix("ac/") })
            #expect(remote.storedFiles().contains { $0.hasPrefix("cas/") })

            // B, an empty store (another machine), is answered from the remote: no upstream call, the same image.
            let proxyB = try serve("B")
            let second = try LocalHTTP.request(
                port: proxyB.port, method: "POST", path: "/v1/images/generations", body: Self.body,
                headers: Self.headers)
            try proxyB.stop()
            #expect(second.status == 200, "\(String(decoding: second.body, as: UTF8.self))")
            #expect(try generations() == 1)
            #expect(try ProxyServeTests.b64Image(second.body) == ProxyServeTests.b64Image(first.body))
            let storeB = try Store(directory: "\(directory)/B")
            let origins = try storeB.read { db in try db.rows("SELECT origin FROM generations").map { $0.string(0) } }
            #expect(origins == ["remote"])
            let links = try storeB.read { db in
                try db.rows("SELECT outcome, reason FROM run_links").map { "\($0.string(0) ?? "") \($0.string(1) ?? "")" }
            }
            #expect(links == ["hit POST /v1/images/generations: from the remote cache"])

            // Replay mode never touches the network, the remote included: an empty store answers a miss.
            let proxyC = try serve("C", ["--mode", "replay"])
            let third = try LocalHTTP.request(
                port: proxyC.port, method: "POST", path: "/v1/images/generations", body: Self.body,
                headers: Self.headers)
            try proxyC.stop()
            #expect(third.status == 404)
            #expect(try generations() == 1)
            // The client's token travelled upstream only: not to the remote, not into either store.
            let remoteBytes = try remote.storedFiles().flatMap { try readFile(remote.root + "/cache/" + $0) }
            #expect(!String(decoding: remoteBytes, as: UTF8.self).contains("sk-serve-remote"))
        }
    }
}
