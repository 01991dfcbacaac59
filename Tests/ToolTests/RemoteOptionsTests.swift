import Foundation
import FrameChainTestKit
import Testing

/// `--remote` and `--remote-mode` are checked before anything runs, and docs/REMOTE.md shows exactly the nginx
/// configuration the remote-cache tests start.
@Suite struct RemoteOptionsTests {
    @Test func theDocumentedNginxConfigurationIsTheOneTheTestsUse() throws {
        let page = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("docs/REMOTE.md"), encoding: .utf8)
        let configuration = NginxServer.configuration(
            directory: "/srv/framechain-cache", port: 8080, requiredAuthorization: "Bearer CHANGE-ME",
            loadDavExtension: true)
        #expect(page.contains("```nginx\n" + configuration + "```\n"))
    }

    @Test(arguments: [
        (["--remote-mode", "sideways"], "--remote-mode sideways: expected read, write or read-write."),
        (
            ["--remote", "ftp://cache.example.com"],
            "--remote: ftp://cache.example.com: expected an http:// or https:// URL"
        ),
        (
            ["--remote", "https://alice:secret@cache.example.com/x"],
            "--remote: the remote URL must not hold a user or password; set FRAMECHAIN_REMOTE_TOKEN instead"
        ),
    ])
    func badRemoteOptionsAreUsageErrors(_ options: [String], _ message: String) throws {
        try withTemporaryDirectory { directory in
            let plan = fixturesDirectory() + "/plans/perfume-ad.json"
            for command in [["status", plan], ["run", plan], ["push", "latest"], ["pull", "some-run"]] {
                let result = try runFramechain(
                    command + ["--store", directory + "/s"] + options
                        + (options.contains("--remote") ? [] : ["--remote", "http://127.0.0.1:9/cache"]),
                    scratch: directory)
                #expect(result.status == 64, "\(command): \(result.error)")
                #expect(result.error.contains(message), "\(command): \(result.error)")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/s"))
        }
    }

    @Test func pushAndPullNeedARemote() throws {
        try withTemporaryDirectory { directory in
            let push = try runFramechain(["push", "latest", "--store", directory + "/s"], scratch: directory)
            #expect(push.status == 64)
            #expect(push.error.contains("push needs --remote URL or $FRAMECHAIN_REMOTE."))
        }
    }
}
