import FrameChainTestKit
import Formats
import Foundation
import Store
import Testing

@testable import Backends
@testable import Chain

/// The project's own fixtures: how `fixtures/images/bottle.png` is made, and that the plan is well formed.
///
/// Regenerate the image with `FRAMECHAIN_WRITE_FIXTURES=1 swift test --filter FixtureTests`.
@Suite struct FixtureTests {
    /// The request whose procedural-v1 rendering is `fixtures/images/bottle.png`.
    static let bottleRequest = GenerationRequest(
        backend: "procedural", model: "procedural-v1", params: ["width": .number(144), "height": .number(256)],
        prompt: "A deep navy studio backdrop behind a faceted glass perfume bottle with a gold cap, low-key rim light.",
        inputs: [], take: 1)

    static let bottleFile = TestSupport.fixtures.appendingPathComponent("images/bottle.png")
    static let planFile = TestSupport.fixtures.appendingPathComponent("plans/perfume-ad.json")

    static func renderBottle() throws -> RasterImage {
        try ProceduralGenerator.image(for: bottleRequest, inputs: [], width: 144, height: 256)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["FRAMECHAIN_WRITE_FIXTURES"] == "1"))
    func writeBottle() throws {
        try Data(PNGEncoder.encode(try Self.renderBottle())).write(to: Self.bottleFile)
    }

    /// Compares pixels rather than bytes, so that another zlib build cannot fail the test.
    @Test func bottleIsTheProceduralRenderingOfItsRequest() throws {
        let stored = try PNGDecoder.decode(Array(try Data(contentsOf: Self.bottleFile)))
        #expect(stored == (try Self.renderBottle()))
    }

    @Test func perfumePlanIsTheSpecExample() throws {
        let data = try Data(contentsOf: Self.planFile)
        let plan = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(plan.keys) == ["format", "name", "generator", "initial_reference", "consistency", "scenes"])
        #expect(plan["format"] as? String == "framechain.plan/v1")
        #expect(plan["name"] as? String == "perfume-ad")
        let generator = try #require(plan["generator"] as? [String: Any])
        #expect(generator["backend"] as? String == "procedural")
        #expect(generator["model"] as? String == "procedural-v1")
        #expect(generator["params"] as? [String: Int] == ["width": 288, "height": 512])
        #expect(generator["options"] as? [String: Int] == ["latency_ms": 0])
        #expect(plan["initial_reference"] as? String == "../images/bottle.png")
        #expect(
            plan["consistency"] as? [String: String] == [
                "subject_description": "a faceted glass perfume bottle with a gold cap",
                "style": "cinematic product photography",
                "color_palette": "deep navy, gold accents",
                "lighting": "low-key, single rim light",
                "composition": "centered subject, shallow depth of field",
                "mood": "mysterious, luxurious",
            ])
        let scenes = try #require(plan["scenes"] as? [[String: String]])
        #expect(scenes.count == 4)
        for scene in scenes {
            #expect(Set(scene.keys) == ["reference", "start", "end", "continuity", "guideline", "transition"])
            #expect(scene.values.allSatisfy { !$0.isEmpty })
        }
        let reference = Self.planFile.deletingLastPathComponent().appendingPathComponent("../images/bottle.png")
        #expect(MediaType.sniff(Array(try Data(contentsOf: reference).prefix(12))) == .png)
    }
}
