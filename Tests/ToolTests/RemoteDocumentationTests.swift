import Foundation
import FrameChainTestKit
import Testing

/// docs/REMOTE.md shows exactly the nginx configuration the remote-cache tests start.
@Suite struct RemoteDocumentationTests {
    @Test func theDocumentedNginxConfigurationIsTheOneTheTestsUse() throws {
        let page = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("docs/REMOTE.md"), encoding: .utf8)
        let configuration = NginxServer.configuration(
            directory: "/srv/framechain-cache", port: 8080, requiredAuthorization: "Bearer CHANGE-ME",
            loadDavExtension: true)
        #expect(page.contains("```nginx\n" + configuration + "```\n"))
    }
}
