import Testing

@testable import Chain

/// The `clips` stage of a plan and the scenes' `motion` prompts.
@Suite struct ClipPlanTests {
    private func plan(clips: String, motion: String? = #""move""#) -> [UInt8] {
        let motionMember = motion.map { #", "motion": \#($0)"# } ?? ""
        let text = """
            {"format": "framechain.plan/v1", "name": "ad",
             "generator": {"backend": "procedural", "model": "procedural-v1"},
             "scenes": [{"reference": "r", "start": "s", "end": "e"\(motionMember)},
                        {"reference": "r2", "start": "s2", "end": "e2"}],
             "clips": \(clips)}
            """
        return Array(text.utf8)
    }

    private let generator = #""generator": {"backend": "ffmpeg", "model": "crossfade-v1", "params": {"fps": 12}}"#

    @Test func decodesAClipStageForEveryScene() throws {
        let decoded = try PlanLoader.decode(
            plan(clips: #"{\#(generator), "motion": "default motion"}"#), file: "ad.json")
        #expect(decoded.clipScenes == [1, 2])
        #expect(decoded.clips?.generator.backend == "ffmpeg")
        #expect(decoded.scenes[0].motion == "move")
        #expect(PromptEnhancer.enhancedPrompt(plan: decoded, sceneIndex: 0, role: .clip).hasPrefix("move. "))
        #expect(PromptEnhancer.enhancedPrompt(plan: decoded, sceneIndex: 1, role: .clip).hasPrefix("default motion. "))
    }

    @Test func decodesAClipStageForSomeScenes() throws {
        let decoded = try PlanLoader.decode(plan(clips: #"{\#(generator), "scenes": [1]}"#), file: "ad.json")
        #expect(decoded.clipScenes == [1])
        #expect(ChainGraph(plan: decoded).nodes.filter { $0.role == .clip }.map(\.description) == ["clip/1"])
    }

    @Test(arguments: [
        (#"{"scenes": "all"}"#, "clips.generator: missing required field"),
        (#"{"generator": {"backend": "ffmpeg", "model": "m"}, "colour": 1}"#, "clips.colour: unknown field"),
        (#"{"GEN", "scenes": [3]}"#, "clips.scenes[0]: expected a scene number from 1 to 2, found 3"),
        (#"{"GEN", "scenes": [2, 1]}"#, "clips.scenes[1]: scene numbers must be ascending and unique"),
        (
            #"{"GEN", "scenes": []}"#,
            #"clips.scenes: expected "all" or a non-empty array of scene numbers, found array"#
        ),
        (
            #"{"GEN", "scenes": "some"}"#,
            #"clips.scenes: expected "all" or a non-empty array of scene numbers, found string"#
        ),
        (#"{"GEN"}"#, "scenes[1].motion: missing required field: scene 2 has a clip and clips.motion gives no default"),
        (#"{"GEN", "motion": " "}"#, "clips.motion: expected a non-empty string, found only white space"),
    ])
    func rejectsBadClipStages(clips: String, message: String) {
        let text = clips.replacingOccurrences(of: #""GEN""#, with: generator)
        do {
            _ = try PlanLoader.decode(plan(clips: text), file: "ad.json")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == "ad.json: " + message)
        }
    }

    @Test func aSceneMotionMustNotBeEmpty() {
        do {
            _ = try PlanLoader.decode(plan(clips: #"{\#(generator), "motion": "m"}"#, motion: #""""#), file: "ad.json")
            Issue.record("an empty motion prompt was accepted")
        } catch {
            #expect(
                error.description == "ad.json: scenes[0].motion: expected a non-empty string, found an empty string")
        }
    }
}
