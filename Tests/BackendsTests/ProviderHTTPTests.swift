import Formats
import Foundation
import Testing

@testable import Backends

/// The backends' HTTP client (AsyncHTTPClient underneath) against the fake provider on 127.0.0.1:
/// redirects, credentials, limits and failures to connect.
@Suite struct ProviderHTTPTests {
    private let http = ProviderHTTP()
    private let authorization = [("Authorization", "Bearer \(BackendFixtures.replicateToken)")]

    private func echo(_ reply: HTTPReply) throws -> ProviderJSON {
        try #require(ProviderJSON(parsing: reply.body))
    }

    private func encoded(_ url: String) -> String {
        url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    @Test func aSameOriginRedirectKeepsTheCredentials() async throws {
        try await FakeProvider.with(scenario: "ok") { server in
            let url = server.baseURL + "/_redirect?status=307&to=" + encoded("/_echo")
            let reply = try await http.send(.GET, url, headers: authorization, timeout: .seconds(120))
            #expect(reply.status == 200)
            #expect(try echo(reply)["authorization"]?.value == .bool(true))
        }
    }

    @Test func aRedirectToAnotherOriginDropsTheCredentials() async throws {
        try await FakeProvider.with(scenario: "ok") { first in
            try await FakeProvider.with(scenario: "ok") { second in
                let url = first.baseURL + "/_redirect?status=302&to=" + encoded(second.baseURL + "/_echo")
                let reply = try await http.send(.GET, url, headers: authorization, timeout: .seconds(120))
                #expect(reply.status == 200)
                #expect(try echo(reply)["authorization"]?.value == .bool(false))
            }
        }
    }

    @Test func aSeeOtherAfterAPostContinuesAsAGetWithoutTheBody() async throws {
        try await FakeProvider.with(scenario: "ok") { server in
            let url = server.baseURL + "/_redirect?status=303&to=" + encoded("/_echo")
            let reply = try await http.send(
                .POST, url, headers: authorization, body: Array("{}".utf8), timeout: .seconds(120))
            let answer = try echo(reply)
            #expect(answer["method"]?.string == "GET")
            #expect(answer["body_size"]?.value == .number(0))
        }
    }

    @Test func aRedirectLoopEndsWithTheLastRedirect() async throws {
        try await FakeProvider.with(scenario: "ok") { server in
            let url =
                server.baseURL + "/_redirect?status=302&to=" + encoded("/_redirect?status=302")
            let reply = try await http.send(.GET, url, timeout: .seconds(120))
            #expect(reply.status == 302)
        }
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        try await FakeProvider.with(scenario: "ok") { server in
            // The same code path as the 64 MB limit, with a limit small enough for a busy CI machine.
            let limit = 1 << 20
            let http = ProviderHTTP(responseLimit: limit)
            let within = try await http.send(.GET, server.baseURL + "/_big?bytes=\(limit)", timeout: .seconds(60))
            #expect(within.body.count == limit)
            await #expect(throws: HTTPFailure.self) {
                _ = try await http.send(.GET, server.baseURL + "/_big?bytes=\(limit + 1)", timeout: .seconds(60))
            }
        }
    }

    @Test func aRefusedConnectionIsNotSent() async throws {
        // A port that was just free: bind, note it, close.
        let port = try await FakeProvider.with(scenario: "ok") { $0.port }
        do {
            _ = try await http.send(.POST, "http://127.0.0.1:\(port)/v1/predictions", timeout: .seconds(120))
            Issue.record("expected a failure to connect")
        } catch let failure as HTTPFailure {
            guard case .notSent = failure else {
                Issue.record("expected notSent, got \(failure)")
                return
            }
        }
    }

    @Test func onlyHTTPURLsAreSent() async throws {
        await #expect(throws: HTTPFailure.self) {
            _ = try await http.send(.GET, "file:///etc/passwd", timeout: .seconds(1))
        }
    }
}
