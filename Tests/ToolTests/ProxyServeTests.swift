import Foundation
import FrameChainTestKit
import Store
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `framechain serve` against the loopback stand-in, driven by raw HTTP and standard-library Python clients.
@Suite(.serialized) struct ProxyServeTests {
    static let png = ProxyClientTests.initialPNG

    static func multipart(boundary: String, parts: [(name: String, filename: String?, body: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"\r\nContent-Type: image/png" }
            out += Array((head + "\r\n\r\n").utf8) + part.body + Array("\r\n".utf8)
        }
        return out + Array("--\(boundary)--\r\n".utf8)
    }

    static func withProxy(
        _ arguments: [String] = [], scenario: String = "ok",
        _ body: (String, FakeProviderServer, ServeProcess) throws -> Void
    ) throws {
        try withTemporaryDirectory { directory in
            let stand = try FakeProviderServer(scenario: scenario)
            try stand.control(["derived_openai": true])
            let proxy = try ServeProcess(
                [
                    "--store", "\(directory)/store", "--upstream-replicate", stand.baseURL, "--upstream-openai",
                    stand.baseURL + "/v1",
                ] + arguments, scratch: directory)
            try body(directory, stand, proxy)
            try proxy.stop()
        }
    }

    @Test func multipartEditsWithDifferentBoundariesAndFileNamesShareOneKey() throws {
        try Self.withProxy { _, stand, proxy in
            let first = Self.multipart(
                boundary: "aaaa1111",
                parts: [
                    ("prompt", nil, Array("a red door".utf8)), ("model", nil, Array("gpt-image-1".utf8)),
                    ("image", "door.png", Self.png),
                ])
            let second = Self.multipart(
                boundary: "----zz9-other",
                parts: [
                    ("image", "elsewhere/x.png", Self.png), ("model", nil, Array("gpt-image-1".utf8)),
                    ("prompt", nil, Array("a red door".utf8)),
                ])
            var answers: [[UInt8]] = []
            for (body, boundary) in [(first, "aaaa1111"), (second, "----zz9-other")] {
                let reply = try LocalHTTP.request(
                    port: proxy.port, method: "POST", path: "/v1/images/edits", body: body,
                    headers: [
                        ("Content-Type", "multipart/form-data; boundary=\(boundary)"), ("Authorization", "Bearer sk-x"),
                    ])
                #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
                answers.append(reply.body)
            }
            #expect(try stand.requests("POST") { $0 == "/v1/images/edits" }.count == 1)
            let images = try answers.map { try Self.b64Image($0) }
            #expect(images[0] == images[1])
        }
    }

    @Test func anUploadedFileAndADataURIOfTheSameBytesShareOneKey() throws {
        try Self.withProxy { _, stand, proxy in
            let upload = try LocalHTTP.request(
                port: proxy.port, method: "POST", path: "/v1/files",
                body: Self.multipart(boundary: "f1", parts: [("content", "in.png", Self.png)]),
                headers: [("Content-Type", "multipart/form-data; boundary=f1")])
            #expect(upload.status == 201)
            let file = try #require(try JSONSerialization.jsonObject(with: Data(upload.body)) as? [String: Any])
            let url = try #require((file["urls"] as? [String: Any])?["get"] as? String)
            #expect(url.hasSuffix("/v1/files/\(SHA256.hash(data: Self.png).hexString)"))
            let dataURI = "data:image/png;base64," + Data(Self.png).base64EncodedString()
            var outputs: [String] = []
            for reference in [url, dataURI] {
                let body = #"{"input": {"prompt": "a cat", "image_input": ["\#(reference)"]}}"#
                let reply = try LocalHTTP.request(
                    port: proxy.port, method: "POST", path: "/v1/models/google/nano-banana/predictions",
                    body: Array(body.utf8), headers: [("Authorization", "Bearer r8_x"), ("Prefer", "wait")])
                #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
                let prediction = try #require(
                    try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
                #expect(prediction["status"] as? String == "succeeded")
                #expect(prediction["version"] as? String == "v-fake-1")
                outputs.append(try #require(prediction["output"] as? String))
                // The prediction id is the key: GET answers it from the store.
                let id = try #require(prediction["id"] as? String)
                let get = try LocalHTTP.request(port: proxy.port, method: "GET", path: "/v1/predictions/\(id)")
                #expect(get.status == 200)
            }
            #expect(outputs[0] == outputs[1])
            #expect(outputs[0].hasPrefix("data:image/png;base64,"))
            #expect(try stand.requests("POST") { $0.hasSuffix("/predictions") }.count == 1)
        }
    }

    @Test func eightClientsTwoHundredRequestsHalfDuplicatesMakeOneUpstreamCallPerKey() throws {
        let python = try #require(TestSupport.python3)
        try Self.withProxy { _, stand, proxy in
            try stand.control(["delay_ms": 150])
            let result = try ProxyScripts.run(python: python, "proxy_load.py", [proxy.baseURL])
            #expect(result.status == 0, "\(result.output)")
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
            #expect((summary["errors"] as? [Any])?.isEmpty == true, "\(summary)")
            #expect(summary["distinct"] as? Int == 100)
            #expect((summary["mismatched"] as? [Any])?.isEmpty == true)
            #expect(try stand.requests("POST") { $0.hasSuffix("/predictions") }.count == 50)
            #expect(try stand.requests("POST") { $0 == "/v1/images/generations" }.count == 50)
        }
    }

    @Test func badRequestsGetJSONErrorsWhileOtherClientsAreServed() throws {
        let python = try #require(TestSupport.python3)
        try Self.withProxy(["--idle-timeout-s", "2", "--max-body-mb", "8"]) { _, _, proxy in
            let result = try ProxyScripts.run(python: python, "proxy_bad.py", ["127.0.0.1", "\(proxy.port)"])
            #expect(result.status == 0, "\(result.output)")
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
            let cases = try #require(summary["cases"] as? [String: [String: Any]])
            let expected = [
                "malformed_json_replicate": 400, "malformed_json_openai": 400, "no_boundary": 400, "not_an_image": 400,
                "truncated_multipart": 400, "too_large": 413,
            ]
            for (name, status) in expected {
                #expect(cases[name]?["status"] as? Int == status, "\(name): \(cases[name] ?? [:])")
                let json = cases[name]?["json"] as? [String: Any]
                #expect(json?["status"] as? Int == status, "\(name) has no JSON error body: \(cases[name] ?? [:])")
                #expect((json?["title"] as? String)?.isEmpty == false)
            }
            #expect((cases["no_boundary"]?["json"] as? [String: Any]).map { "\($0)".contains("boundary") } == true)
            #expect((cases["not_an_image"]?["json"] as? [String: Any]).map { "\($0)".contains("not a PNG") } == true)
            #expect((summary["good"] as? [Int]) == Array(repeating: 200, count: 7))
            #expect(summary["slowloris_closed"] as? Bool == true)
        }
    }

    @Test func upstreamRateLimitsAndServerErrorsArePassedThroughOnce() throws {
        try Self.withProxy(scenario: "rate_limited") { _, stand, proxy in
            let body = Array(#"{"model": "gpt-image-1", "prompt": "limited"}"#.utf8)
            let limited = try LocalHTTP.request(
                port: proxy.port, method: "POST", path: "/v1/images/generations", body: body)
            #expect(limited.status == 429)
            #expect(String(decoding: limited.body, as: UTF8.self).contains("Rate limit reached"))
            #expect(try stand.requests("POST") { $0 == "/v1/images/generations" }.count == 1)
            let again = try LocalHTTP.request(
                port: proxy.port, method: "POST", path: "/v1/images/generations", body: body)
            #expect(again.status == 200)
            try stand.control(["scenario": "server_error"])
            let failed = try LocalHTTP.request(
                port: proxy.port, method: "POST", path: "/v1/models/google/nano-banana/predictions",
                body: Array(#"{"input": {"prompt": "overloaded"}}"#.utf8))
            #expect(failed.status == 500)
            #expect(String(decoding: failed.body, as: UTF8.self).contains("the model is overloaded"))
            #expect(try stand.requests("POST") { $0.hasSuffix("/predictions") }.count == 1)
        }
    }

    @Test func aReplayMissIsANonRetryable404NamingTheKeyTheNearestRequestAndTheField() throws {
        try withTemporaryDirectory { directory in
            let store = "\(directory)/store"
            let stand = try FakeProviderServer()
            let recorder = try ServeProcess(
                ["--store", store, "--upstream-replicate", stand.baseURL], scratch: directory)
            let path = "/v1/models/google/nano-banana/predictions"
            let recorded = try LocalHTTP.request(
                port: recorder.port, method: "POST", path: path,
                body: Array(#"{"input": {"prompt": "a cat", "output_format": "png"}}"#.utf8))
            #expect(recorded.status == 201)
            let recordedID = try #require(
                (try JSONSerialization.jsonObject(with: Data(recorded.body)) as? [String: Any])?["id"] as? String)
            try recorder.stop()
            stand.stop()
            let replayer = try ServeProcess(["--store", store, "--mode", "replay"], scratch: directory)
            let miss = try LocalHTTP.request(
                port: replayer.port, method: "POST", path: path,
                body: Array(#"{"input": {"prompt": "a cat", "output_format": "jpg"}}"#.utf8))
            #expect(miss.status == 404)
            #expect(miss.head.lowercased().contains("x-should-retry: false"))
            #expect(miss.head.lowercased().contains("content-type: application/problem+json"))
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(miss.body)) as? [String: Any])
            #expect(problem["nearest"] as? String == "sha256:\(recordedID)")
            #expect(problem["differs_in"] as? [String] == ["params.output_format"])
            let detail = try #require(problem["detail"] as? String)
            #expect(detail.contains(try #require(problem["key"] as? String)))
            #expect(detail.contains(#"params.output_format (recorded "png", asked "jpg")"#))
            let hit = try LocalHTTP.request(
                port: replayer.port, method: "POST", path: path,
                body: Array(#"{"input": {"output_format": "png", "prompt": "a cat"}}"#.utf8))
            #expect(hit.status == 201)
            try replayer.stop()
        }
    }

    @Test func twoIdenticalRequestsInFlightShareOneUpstreamCall() throws {
        try Self.withProxy { directory, stand, proxy in
            try stand.control(["delay_ms": 3000])
            let body = Array(#"{"model": "gpt-image-1", "prompt": "in flight together"}"#.utf8)
            let replies = Mutex<[LocalHTTP.Reply]>([])
            let port = proxy.port
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                if let reply = try? LocalHTTP.request(
                    port: port, method: "POST", path: "/v1/images/generations", body: body)
                {
                    replies.withLock { $0.append(reply) }
                }
            }
            let answers = replies.withLock { $0 }
            #expect(answers.map(\.status) == [200, 200])
            #expect(
                try answers.map { try Self.b64Image($0.body) }.reduce(into: Set<[UInt8]>()) { $0.insert($1) }.count == 1
            )
            #expect(try stand.requests("POST") { $0 == "/v1/images/generations" }.count == 1)
            let show = try runFramechain(
                ["show", try #require(proxy.runID), "--store", "\(directory)/store", "--json"], scratch: directory)
            let links = try #require(
                (try JSONSerialization.jsonObject(with: Data(show.output)) as? [String: Any])?["links"]
                    as? [[String: Any]])
            #expect(links.compactMap { $0["outcome"] as? String }.sorted() == ["generated", "hit"])
            #expect(links.contains { ($0["reason"] as? String)?.contains("shared an upstream call in flight") == true })
        }
    }

    @Test func aClientThatDisconnectsDoesNotLoseAPaidOutput() throws {
        try Self.withProxy { directory, stand, proxy in
            try stand.control(["delay_ms": 1500])
            let fd = try LocalHTTP.connect(port: proxy.port).get()
            let body = #"{"input": {"prompt": "paid for"}}"#
            let head =
                "POST /v1/models/google/nano-banana/predictions HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            _ = Array(head.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            // The generation is committed although nobody waits for it: the session's run gets its link.
            let runID = try #require(proxy.runID)
            var links: [Any] = []
            for _ in 0..<600 where links.isEmpty {
                usleep(100_000)
                let show = try runFramechain(
                    ["show", runID, "--store", "\(directory)/store", "--json"], scratch: directory)
                let json = try? JSONSerialization.jsonObject(with: Data(show.output)) as? [String: Any]
                links = json?["links"] as? [Any] ?? []
            }
            #expect(links.count == 1)
            let again = try LocalHTTP.request(
                port: proxy.port, method: "POST", path: "/v1/models/google/nano-banana/predictions",
                body: Array(body.utf8))
            #expect(again.status == 201)
            #expect(try stand.requests("POST") { $0.hasSuffix("/predictions") }.count == 1)
        }
    }

    @Test func passthroughForwardsEverythingAndRecordsNothing() throws {
        try Self.withProxy(["--mode", "passthrough"]) { directory, stand, proxy in
            #expect(proxy.runID == nil)
            let body = Array(#"{"model": "gpt-image-1", "prompt": "not kept"}"#.utf8)
            for _ in 0..<2 {
                let reply = try LocalHTTP.request(
                    port: proxy.port, method: "POST", path: "/v1/images/generations", body: body,
                    headers: [("Authorization", "Bearer sk-pass")])
                #expect(reply.status == 200)
            }
            let generations = try stand.requests("POST") { $0 == "/v1/images/generations" }
            #expect(generations.count == 2)
            #expect((generations.first?["headers"] as? [String: String])?["authorization"] == "Bearer sk-pass")
            let create = try LocalHTTP.request(
                port: proxy.port, method: "POST", path: "/v1/models/google/nano-banana/predictions",
                body: Array(#"{"input": {"prompt": "as upstream says"}}"#.utf8), headers: [("Prefer", "wait")])
            #expect(create.status == 201)
            let prediction = try #require(try JSONSerialization.jsonObject(with: Data(create.body)) as? [String: Any])
            #expect(prediction["id"] as? String == "pred1")
            let runs = try runFramechain(["runs", "--store", "\(directory)/store", "--json"], scratch: directory)
            let list = try JSONSerialization.jsonObject(with: Data(runs.output)) as? [Any]
            #expect(list?.isEmpty ?? true, "\(runs.outputText)")
        }
    }

    @Test func aNonLoopbackListenerNeedsATokenFile() throws {
        try withTemporaryDirectory { directory in
            let refused = try runFramechain(
                ["serve", "--listen", "0.0.0.0:0", "--store", "\(directory)/store"], scratch: directory)
            #expect(refused.status == 64)
            #expect(refused.error.contains("--token-file"))
        }
    }

    @Test func anAddressInUseIsNamedAndLeavesNoRun() throws {
        try Self.withProxy { directory, _, proxy in
            let store = "\(directory)/second"
            let refused = try runFramechain(
                ["serve", "--listen", "127.0.0.1:\(proxy.port)", "--store", store], scratch: directory)
            #expect(refused.status == 1)
            #expect(
                refused.error.contains("cannot listen on 127.0.0.1:\(proxy.port): the address is already in use"),
                "\(refused.error)")
            let runs = try runFramechain(["runs", "--store", store], scratch: directory)
            #expect(runs.outputText.contains("0 run(s)"), "\(runs.outputText)")
        }
    }

    @Test func withATokenFileClientsMustPresentItAndUpstreamGetsTheProxysToken() throws {
        try withTemporaryDirectory { directory in
            try writeFile("\(directory)/token", Array("proxy-client-token\n".utf8))
            let stand = try FakeProviderServer()
            let proxy = try ServeProcess(
                [
                    "--store", "\(directory)/store", "--token-file", "\(directory)/token", "--upstream-replicate",
                    stand.baseURL,
                ], scratch: directory, environment: ["REPLICATE_API_TOKEN": "r8_upstream_secret"])
            let body = Array(#"{"input": {"prompt": "guarded"}}"#.utf8)
            let path = "/v1/models/google/nano-banana/predictions"
            let refused = try LocalHTTP.request(port: proxy.port, method: "POST", path: path, body: body)
            #expect(refused.status == 401)
            let accepted = try LocalHTTP.request(
                port: proxy.port, method: "POST", path: path, body: body,
                headers: [("Authorization", "Bearer proxy-client-token")])
            #expect(accepted.status == 201)
            let creates = try stand.requests("POST") { $0 == path }
            #expect(creates.count == 1)
            #expect((creates.first?["headers"] as? [String: String])?["authorization"] == "Bearer r8_upstream_secret")
            let log = try proxy.stop()
            #expect(!log.outputText.contains("r8_upstream_secret") && !log.error.contains("r8_upstream_secret"))
            #expect(try filesContaining(Array("r8_upstream_secret".utf8), under: "\(directory)/store").isEmpty)
        }
    }

    static func b64Image(_ body: [UInt8]) throws -> [UInt8] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let first = try #require((json["data"] as? [[String: Any]])?.first)
        let encoded = try #require(first["b64_json"] as? String)
        return [UInt8](try #require(Data(base64Encoded: encoded)))
    }
}
