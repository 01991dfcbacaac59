import Formats
import Store
import Testing

@testable import Chain

/// The worked example of `docs/KEYS.md`: the request of `start/2` in the perfume plan.
///
/// The expected canonical text and key were computed independently of this code, with Python's
/// `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` and `sha256sum`.
@Suite struct GenerationRequestTests {
    /// The output of `start/1` in the example: `sha256` of the ASCII text `start/1 example output`.
    static let startOneOutput = "sha256:6b6d20b72385324a0387e7092f11d163e3de007d1686e29b2cbedeea4304aae4"

    static let expectedCanonicalText =
        #"{"format":"framechain.request/v1","generator":{"backend":"procedural","model":"procedural-v1"},"#
        + #""inputs":["sha256:6b6d20b72385324a0387e7092f11d163e3de007d1686e29b2cbedeea4304aae4"],"#
        + #""params":{"height":512,"width":288},"#
        + #""prompt":"Wide shot of the ledge, curtains moving. "#
        + #"If the subject appears, keep it identical to this description: a faceted glass perfume bottle with a gold cap. "#
        + #"Style: cinematic product photography. Color palette: deep navy, gold accents. "#
        + #"Lighting: low-key, single rim light. Composition: centered subject, shallow depth of field. "#
        + #"Mood: mysterious, luxurious. Continuity with the previous scene: Same bottle, still wet from the sea. "#
        + #"Consistency guideline: Keep the gold cap facing the camera. "#
        + #"Transition from the previous scene: Match cut from the wave to the billowing curtain. "#
        + #"Keep visual consistency with the previous scenes. Keep exact visual consistency with the reference image.","#
        + #""take":2}"#

    static let expectedKey = "sha256:9403b4440c69423fcf0ad0723bdad3733cbcd6987c0c57cdf8fae2b6af3fcb39"

    private func workedExample() throws -> GenerationRequest {
        let plan = try PlanLoader.decode(Array(perfumePlanText.utf8), file: "perfume.json")
        let input = try #require(Digest(parsing: Self.startOneOutput))
        #expect(input == SHA256.hash(data: Array("start/1 example output".utf8)))
        return GenerationRequest(
            backend: plan.generator.backend, model: plan.generator.model, params: plan.generator.params,
            prompt: PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 1, role: .start), inputs: [input],
            take: plan.scenes[1].take(for: .start))
    }

    @Test func workedExampleHasTheDocumentedCanonicalText() throws {
        let request = try workedExample()
        #expect(Array(request.canonicalText.utf8) == Array(Self.expectedCanonicalText.utf8))
    }

    @Test func workedExampleHasTheDocumentedKey() throws {
        #expect(try workedExample().key.description == Self.expectedKey)
    }

    @Test func canonicalTextParsesBackToTheSameJSON() throws {
        let request = try workedExample()
        #expect(try JSONParser.parse(Array(request.canonicalText.utf8)) == request.json)
    }

    @Test func everyFieldChangesTheKey() throws {
        let base = try workedExample()
        var variants: [GenerationRequest] = []
        var changed = base
        changed.backend = "command"
        variants.append(changed)
        changed = base
        changed.model = "procedural-v2"
        variants.append(changed)
        changed = base
        changed.params["width"] = .number(289)
        variants.append(changed)
        changed = base
        changed.prompt += " "
        variants.append(changed)
        changed = base
        changed.inputs = []
        variants.append(changed)
        changed = base
        changed.take = 3
        variants.append(changed)
        let keys = Set(variants.map(\.key) + [base.key])
        #expect(keys.count == variants.count + 1)
    }

    @Test func aRequestWithoutInputsListsAnEmptyArray() {
        let request = GenerationRequest(backend: "b", model: "m", params: [:], prompt: "p", inputs: [], take: 1)
        #expect(
            request.canonicalText
                == #"{"format":"framechain.request/v1","generator":{"backend":"b","model":"m"},"inputs":[],"#
                + #""params":{},"prompt":"p","take":1}"#)
    }
}
