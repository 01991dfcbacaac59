import FrameChainTestKit
import Foundation
import Testing

@testable import Store

/// A cache hit whose blob file was damaged on disk: `run --out` copies (and verifies) every output, so it notices,
/// exits 4 naming the link, and moves the file aside, so that the next run regenerates the image instead of failing
/// the same way forever (found by a new-user trial).
@Suite struct CorruptOutputTests {
    @Test func aDamagedCachedOutputIsMovedAsideAndTheNextRunRegeneratesIt() throws {
        try withTemporaryDirectory { dir in
            let plan = fixturesDirectory() + "/plans/perfume-ad.json"
            let store = dir + "/store"
            #expect(try runFramechain(["run", plan, "--store", store, "--out", dir + "/first"], scratch: dir).status == 0)
            let original = try readFile(dir + "/first/ref_01.png")
            let digest = SHA256.hash(data: original)
            let blobPath = try Store(directory: store).path(of: digest)
            try writeFile(blobPath, original + [0])

            let damaged = try runFramechain(["run", plan, "--store", store, "--out", dir + "/second"], scratch: dir)
            #expect(damaged.status == 4, "\(damaged.error)")
            #expect(damaged.error.contains("(the output of ref/1); it was moved aside"), "\(damaged.error)")
            #expect(!FileManager.default.fileExists(atPath: blobPath))

            let repaired = try runFramechain(["run", plan, "--store", store, "--out", dir + "/third"], scratch: dir)
            #expect(repaired.status == 0, "\(repaired.error)")
            #expect(repaired.outputText.contains("ref/1     generated output missing"), "\(repaired.outputText)")
            // The procedural generator is deterministic: the same bytes come back, so nothing downstream changes.
            #expect(try readFile(dir + "/third/ref_01.png") == original)
            #expect(repaired.outputText.contains("11 hits"), "\(repaired.outputText)")
            #expect(try runFramechain(["verify", "--store", store], scratch: dir).status == 0)
        }
    }
}
