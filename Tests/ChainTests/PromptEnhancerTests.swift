import Testing

@testable import Chain

@Suite struct PromptEnhancerTests {
    private let plan = PlanLoaderTests.perfumePlan

    @Test func isVersionedWithTheRequestFormat() {
        #expect(PromptEnhancer.version == GenerationRequest.format)
    }

    @Test func specifiesTheSubjectAtPositionOne() {
        #expect(
            PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 0, role: .reference)
                == "The bottle standing on wet black sand at night. "
                + "Subject: a faceted glass perfume bottle with a gold cap. "
                + "Style: cinematic product photography. Color palette: deep navy, gold accents. "
                + "Lighting: low-key, single rim light. Composition: centered subject, shallow depth of field. "
                + "Mood: mysterious, luxurious. Consistency guideline: The cap catches the only highlight. "
                + "Keep exact visual consistency with the reference image.")
    }

    @Test func addsContinuityTransitionAndHistoryFromPositionTwo() {
        #expect(
            PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 1, role: .end)
                == "Slow push-in until the bottle fills the frame. "
                + "If the subject appears, keep it identical to this description: "
                + "a faceted glass perfume bottle with a gold cap. "
                + "Style: cinematic product photography. Color palette: deep navy, gold accents. "
                + "Lighting: low-key, single rim light. Composition: centered subject, shallow depth of field. "
                + "Mood: mysterious, luxurious. Continuity with the previous scene: Same bottle, still wet from the sea. "
                + "Consistency guideline: Keep the gold cap facing the camera. "
                + "Transition from the previous scene: Match cut from the wave to the billowing curtain. "
                + "Keep visual consistency with the previous scenes. "
                + "Keep exact visual consistency with the reference image.")
    }

    @Test func usesTheBasePromptOfTheRole() {
        for role in Role.frames {
            let prompt = PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 1, role: role)
            #expect(prompt.hasPrefix(plan.scenes[1].prompt(for: role) + ". "))
        }
    }

    @Test func ignoresContinuityAndTransitionAtPositionOne() {
        var plan = self.plan
        plan.scenes[0].continuity = "from nowhere"
        plan.scenes[0].transition = "fade in"
        #expect(
            PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 0, role: .start)
                == PromptEnhancer.enhancedPrompt(plan: self.plan, sceneIndex: 0, role: .start))
    }

    @Test func emptyAndAbsentFieldsAddNothing() {
        let bare = Plan(
            name: "bare", generator: GeneratorSpec(backend: "procedural", model: "procedural-v1"),
            initialReference: nil,
            consistency: Consistency(subjectDescription: " ", style: "", colorPalette: nil, lighting: "\n\t"),
            scenes: [
                Scene(reference: "A", start: "B", end: "C"),
                Scene(reference: "D", start: "E", end: "F", continuity: "", guideline: "  ", transition: "\n"),
            ])
        #expect(
            PromptEnhancer.enhancedPrompt(plan: bare, sceneIndex: 0, role: .start)
                == "B. Keep exact visual consistency with the reference image.")
        #expect(
            PromptEnhancer.enhancedPrompt(plan: bare, sceneIndex: 1, role: .end)
                == "F. Keep visual consistency with the previous scenes. "
                + "Keep exact visual consistency with the reference image.")
    }

    @Test func trimsFieldsAndKeepsExistingPunctuation() {
        let plan = Plan(
            name: "p", generator: GeneratorSpec(backend: "b", model: "m"), initialReference: nil,
            consistency: Consistency(style: "  noir!  ", mood: "tense…"),
            scenes: [
                Scene(
                    reference: "  Is it there?\n", start: #"A sign reading "Open.""#, end: "Line one\nline two (wide)")
            ])
        #expect(
            PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 0, role: .reference)
                == "Is it there? Style: noir! Mood: tense… Keep exact visual consistency with the reference image.")
        #expect(
            PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 0, role: .start)
                == #"A sign reading "Open." Style: noir! Mood: tense… Keep exact visual consistency with the reference image."#
        )
        #expect(
            PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: 0, role: .end)
                == "Line one\nline two (wide). Style: noir! Mood: tense… "
                + "Keep exact visual consistency with the reference image.")
    }

    @Test func hasNoSurroundingWhiteSpace() {
        for index in plan.scenes.indices {
            for role in Role.allCases {
                let prompt = PromptEnhancer.enhancedPrompt(plan: plan, sceneIndex: index, role: role)
                #expect(prompt.first?.isWhitespace == false && prompt.last?.isWhitespace == false)
                #expect(!prompt.contains("  "))
            }
        }
    }
}
