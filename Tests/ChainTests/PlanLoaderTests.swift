import Formats
import FrameChainTestKit
import Foundation
import Testing

@testable import Chain

@Suite struct PlanLoaderTests {
    /// The perfume plan as a value, exactly as `perfumePlanText` describes it.
    static let perfumePlan = Plan(
        name: "perfume-ad",
        generator: GeneratorSpec(
            backend: "procedural", model: "procedural-v1", params: ["width": .number(288), "height": .number(512)],
            options: ["latency_ms": .number(0)]),
        initialReference: "images/bottle.png",
        consistency: Consistency(
            subjectDescription: "a faceted glass perfume bottle with a gold cap",
            style: "cinematic product photography",
            colorPalette: "deep navy, gold accents", lighting: "low-key, single rim light",
            composition: "centered subject, shallow depth of field", mood: "mysterious, luxurious"),
        scenes: [
            Scene(
                reference: "The bottle standing on wet black sand at night",
                start: "Close-up of the bottle, a wave approaching", end: "The wave washes over the bottle",
                guideline: "The cap catches the only highlight"),
            Scene(
                reference: "The bottle on a marble ledge in a moonlit palace",
                start: "Wide shot of the ledge, curtains moving", end: "Slow push-in until the bottle fills the frame",
                continuity: "Same bottle, still wet from the sea", guideline: "Keep the gold cap facing the camera",
                transition: "Match cut from the wave to the billowing curtain", takes: [.start: 2]),
        ])

    /// The perfume plan text with one exact edit.
    private func perfume(replacing target: String, with replacement: String) throws -> [UInt8] {
        try #require(perfumePlanText.contains(target))
        return Array(perfumePlanText.replacingOccurrences(of: target, with: replacement).utf8)
    }

    /// A small valid plan whose `scenes` array is `scenes` (JSON text).
    private func minimalPlan(scenes: String, extra: String = "") -> [UInt8] {
        let text = """
            {"format": "framechain.plan/v1", "name": "ad", \(extra)
             "generator": {"backend": "procedural", "model": "procedural-v1"},
             "scenes": \(scenes)}
            """
        return Array(text.utf8)
    }

    private func decodeError(_ bytes: [UInt8]) -> PlanError? {
        #expect(throws: PlanError.self) { try PlanLoader.decode(bytes, file: "plans/ad.json") }
    }

    // MARK: - Decoding

    @Test func decodesTheFullPlan() throws {
        let plan = try PlanLoader.decode(Array(perfumePlanText.utf8), file: "plans/ad.json")
        #expect(plan == Self.perfumePlan)
        #expect(plan.scenes[1].take(for: .start) == 2)
        #expect(plan.scenes[1].take(for: .end) == 1)
    }

    @Test func decodesAMinimalPlanWithDefaults() throws {
        let plan = try PlanLoader.decode(
            minimalPlan(scenes: #"[{"reference": "r", "start": "s", "end": "e", "continuity": ""}]"#), file: "ad.json")
        #expect(plan.initialReference == nil)
        #expect(plan.consistency == Consistency())
        #expect(plan.generator.params.isEmpty && plan.generator.options.isEmpty)
        #expect(plan.scenes == [Scene(reference: "r", start: "s", end: "e", continuity: "")])
    }

    @Test func reportsSyntaxErrorsWithLineAndColumn() throws {
        let text = """
            {
              "format": "framechain.plan/v1",
              "name": "ad"  "generator": {}
            }
            """
        let error = try #require(decodeError(Array(text.utf8)))
        #expect(error.description == #"plans/ad.json:3:17: expected ',' or '}' after object member, found '"'"#)
        #expect(error.line == 3 && error.column == 17 && error.path == nil)
    }

    @Test func reportsDuplicateKeysAsSyntaxErrors() {
        let error = decodeError(Array(#"{"name": "a", "name": "b"}"#.utf8))
        #expect(error?.description == #"plans/ad.json:1:15: duplicate object key "name""#)
    }

    @Test func reportsUnknownFields() throws {
        #expect(
            decodeError(
                try perfume(replacing: #""model": "procedural-v1","#, with: #""model": "m", "colour": "red","#))?
                .description == "plans/ad.json: generator.colour: unknown field")
        #expect(
            decodeError(try perfume(replacing: #""name": "perfume-ad","#, with: #""name": "p", "foo bar": 1,"#))?
                .description == #"plans/ad.json: ["foo bar"]: unknown field"#)
        #expect(
            decodeError(
                try perfume(replacing: #""mood": "mysterious, luxurious""#, with: #""mood": "m", "tone": "t""#))?
                .description == "plans/ad.json: consistency.tone: unknown field")
        // An unknown field is reported before the required field it may be a misspelling of.
        #expect(
            decodeError(minimalPlan(scenes: #"[{"reference": "r", "start": "s", "ned": "e"}]"#))?.description
                == "plans/ad.json: scenes[0].ned: unknown field")
    }

    @Test func reportsWrongTypes() throws {
        let scenes =
            #"[{"reference": "r", "start": "s", "end": "e"}, {"reference": "r", "start": "s", "end": "e"}, "#
            + #"{"reference": "r", "start": 3, "end": "e"}]"#
        #expect(
            decodeError(minimalPlan(scenes: scenes))?.description
                == "plans/ad.json: scenes[2].start: expected a non-empty string, found number")
        #expect(
            decodeError(
                try perfume(replacing: #""params": { "width": 288, "height": 512 }"#, with: #""params": [288]"#))?
                .description == "plans/ad.json: generator.params: expected an object, found array")
        #expect(
            decodeError(try perfume(replacing: #""mood": "mysterious, luxurious""#, with: #""mood": null"#))?
                .description == "plans/ad.json: consistency.mood: expected a string, found null")
        #expect(
            decodeError(minimalPlan(scenes: #"{"reference": "r"}"#))?.description
                == "plans/ad.json: scenes: expected a non-empty array of scenes, found object")
        #expect(
            decodeError(minimalPlan(scenes: #"[true]"#))?.description
                == "plans/ad.json: scenes[0]: expected an object, found boolean")
        #expect(
            decodeError(Array("[1]".utf8))?.description
                == "plans/ad.json: expected a JSON object at the top level, found array")
    }

    @Test func reportsMissingFields() {
        #expect(
            decodeError(minimalPlan(scenes: #"[{"reference": "r", "start": "s"}]"#))?.description
                == "plans/ad.json: scenes[0].end: missing required field")
        #expect(
            decodeError(Array(#"{"format": "framechain.plan/v1"}"#.utf8))?.description
                == "plans/ad.json: name: missing required field")
    }

    @Test func checksTheFormatFirst() {
        #expect(
            decodeError(Array(#"{"format": "framechain.plan/v2", "extra": 1}"#.utf8))?.description
                == #"plans/ad.json: format: unsupported plan format "framechain.plan/v2"; expected "framechain.plan/v1""#
        )
        #expect(
            decodeError(Array(#"{"name": "x"}"#.utf8))?.description
                == #"plans/ad.json: format: missing required field; expected "framechain.plan/v1""#)
        #expect(
            decodeError(Array(#"{"format": 1}"#.utf8))?.description
                == #"plans/ad.json: format: expected "framechain.plan/v1", found number"#)
    }

    @Test func rejectsAnEmptySceneList() {
        #expect(
            decodeError(minimalPlan(scenes: "[]"))?.description
                == "plans/ad.json: scenes: expected at least one scene, found an empty array")
    }

    @Test func rejectsEmptyPromptsAndNames() throws {
        #expect(
            decodeError(try perfume(replacing: #""end": "The wave washes over the bottle","#, with: #""end": "","#))?
                .description == "plans/ad.json: scenes[0].end: expected a non-empty string, found an empty string")
        #expect(
            decodeError(minimalPlan(scenes: #"[{"reference": " \n\t ", "start": "s", "end": "e"}]"#))?.description
                == "plans/ad.json: scenes[0].reference: expected a non-empty string, found only white space")
        #expect(
            decodeError(try perfume(replacing: #""name": "perfume-ad""#, with: #""name": """#))?.description
                == "plans/ad.json: name: expected a non-empty string, found an empty string")
        #expect(
            decodeError(try perfume(replacing: #""backend": "procedural""#, with: #""backend": " ""#))?.description
                == "plans/ad.json: generator.backend: expected a non-empty string, found only white space")
    }

    @Test(arguments: [
        (#"{"start": 0}"#, "scenes[0].takes.start: take must be an integer >= 1, found 0"),
        (#"{"end": -2}"#, "scenes[0].takes.end: take must be an integer >= 1, found -2"),
        (#"{"reference": 1.5}"#, "scenes[0].takes.reference: take must be an integer >= 1, found 1.5"),
        (#"{"start": "2"}"#, "scenes[0].takes.start: take must be an integer >= 1, found string"),
        (#"{"start": 1e300}"#, "scenes[0].takes.start: take must be at most 9007199254740991, found 1e+300"),
        (#"{"middle": 2}"#, "scenes[0].takes.middle: unknown role; takes are keyed by reference, start, end or clip"),
        (#"[2]"#, "scenes[0].takes: expected an object, found array"),
    ])
    func rejectsBadTakes(takes: String, message: String) {
        let bytes = minimalPlan(scenes: #"[{"reference": "r", "start": "s", "end": "e", "takes": \#(takes)}]"#)
        #expect(decodeError(bytes)?.description == "plans/ad.json: " + message)
    }

    @Test func acceptsTakesWrittenAsIntegralNumbers() throws {
        let bytes = minimalPlan(scenes: #"[{"reference": "r", "start": "s", "end": "e", "takes": {"end": 3.0e0}}]"#)
        #expect(try PlanLoader.decode(bytes, file: "ad.json").scenes[0].takes == [.end: 3])
    }

    // MARK: - Loading

    @Test func loadsAPlanAndResolvesItsInitialReference() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/plans/ad.json"
            try writeFile(perfumePlanText, to: planPath)
            try writeFile(TestSupport.tinyPNG("bottle"), to: directory + "/plans/images/bottle.png")
            let loaded = try PlanLoader.load(contentsOf: planPath)
            #expect(loaded.plan == Self.perfumePlan)
            #expect(loaded.bytes == Array(perfumePlanText.utf8))
            #expect(loaded.path == planPath)
            #expect(loaded.initialReferencePath == directory + "/plans/images/bottle.png")
        }
    }

    @Test func acceptsJPEGAndWebPByContentWhateverTheExtension() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/ad.json"
            try writeFile(perfumePlanText, to: planPath)
            try writeFile([0xFF, 0xD8, 0xFF, 0xE0], to: directory + "/images/bottle.png")
            #expect(try PlanLoader.load(contentsOf: planPath).initialReferencePath == directory + "/images/bottle.png")
            try writeFile(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), to: directory + "/images/bottle.png")
            #expect(try PlanLoader.load(contentsOf: planPath).initialReferencePath == directory + "/images/bottle.png")
        }
    }

    @Test func loadsAPlanWithoutInitialReference() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/ad.json"
            try writeFile(minimalPlan(scenes: #"[{"reference": "r", "start": "s", "end": "e"}]"#), to: planPath)
            #expect(try PlanLoader.load(contentsOf: planPath).initialReferencePath == nil)
        }
    }

    @Test func rejectsAMissingInitialReference() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/plans/ad.json"
            try writeFile(perfumePlanText, to: planPath)
            let error = #expect(throws: PlanError.self) { try PlanLoader.load(contentsOf: planPath) }
            #expect(
                error?.description
                    == "\(planPath): initial_reference: \(directory)/plans/images/bottle.png: no such file")
            #expect(error?.path == "initial_reference")
        }
    }

    @Test func rejectsAnInitialReferenceThatIsNotAnImage() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/plans/ad.json"
            try writeFile(perfumePlanText, to: planPath)
            try writeFile("just some notes about the bottle\n", to: directory + "/plans/images/bottle.png")
            let error = #expect(throws: PlanError.self) { try PlanLoader.load(contentsOf: planPath) }
            #expect(
                error?.description
                    == "\(planPath): initial_reference: \(directory)/plans/images/bottle.png: not a PNG, JPEG or WebP image"
            )
        }
    }

    @Test func rejectsAnEmptyInitialReferenceFile() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/ad.json"
            try writeFile(perfumePlanText, to: planPath)
            try writeFile([UInt8](), to: directory + "/images/bottle.png")
            let error = #expect(throws: PlanError.self) { try PlanLoader.load(contentsOf: planPath) }
            #expect(error?.message == "\(directory)/images/bottle.png: not a PNG, JPEG or WebP image")
        }
    }

    @Test func rejectsAnInitialReferenceThatIsADirectory() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/plans/ad.json"
            try writeFile(perfumePlanText, to: planPath)
            try FileManager.default.createDirectory(
                atPath: directory + "/plans/images/bottle.png", withIntermediateDirectories: true)
            let error = #expect(throws: PlanError.self) { try PlanLoader.load(contentsOf: planPath) }
            #expect(
                error?.description
                    == "\(planPath): initial_reference: \(directory)/plans/images/bottle.png: is a directory, not an image file"
            )
        }
    }

    @Test func rejectsAMissingOrDirectoryPlanFile() throws {
        try withTemporaryDirectory { directory in
            let missing = directory + "/nope.json"
            #expect(
                #expect(throws: PlanError.self) { try PlanLoader.load(contentsOf: missing) }?.description
                    == "\(missing): no such file")
            #expect(
                #expect(throws: PlanError.self) { try PlanLoader.load(contentsOf: directory) }?.description
                    == "\(directory): is a directory")
        }
    }

    @Test func reportsDecodingErrorsWithThePathAsGiven() throws {
        try withTemporaryDirectory { directory in
            let planPath = directory + "/ad.json"
            try writeFile("{\n  \"format\": \"framechain.plan/v1\",\n  \"name\": tru\n}\n", to: planPath)
            let error = #expect(throws: PlanError.self) { try PlanLoader.load(contentsOf: planPath) }
            #expect(error?.description == "\(planPath):3:11: expected a value, found 'tru'")
        }
    }

    @Test(arguments: [
        ("images/a.png", "ad.json", "images/a.png"),
        ("images/a.png", "plans/ad.json", "plans/images/a.png"),
        ("../a.png", "./plans/ad.json", "./plans/../a.png"),
        ("/srv/a.png", "plans/ad.json", "/srv/a.png"),
        ("a.png", "/ad.json", "/a.png"),
    ])
    func resolvesReferencesRelativeToThePlanDirectory(reference: String, planPath: String, resolved: String) {
        #expect(PlanLoader.resolve(reference, relativeTo: planPath) == resolved)
    }
}
