import Formats

/// A storyboard plan (`framechain.plan/v1`), as decoded and validated by ``PlanLoader``.
///
/// See SPEC §2 for the file format. A plan value holds no file-system state except the resolved
/// location of its initial reference image.
public struct Plan: Sendable, Hashable {
    /// The only plan format this version reads.
    public static let format = "framechain.plan/v1"

    /// The storyboard's name; `status` and `run` explain changes against the latest run of the same name.
    public var name: String
    /// Which generator makes the images, with its semantic params and operational options.
    public var generator: GeneratorSpec
    /// The initial reference image as written in the plan (relative to the plan file), if any.
    public var initialReference: String?
    /// The consistency information woven into every enhanced prompt.
    public var consistency: Consistency
    /// The scenes, in order; never empty.
    public var scenes: [Scene]
    /// The clip stage (`clips`): which scenes get a clip from their start and end frame, and which generator
    /// makes it; `nil` when the plan stops at the frames.
    public var clips: ClipStage?
    /// The `pricing` table (what each model's generations cost), or `nil` when the plan gives no prices.
    public var pricing: Pricing?

    /// Creates a plan.
    public init(
        name: String, generator: GeneratorSpec, initialReference: String?, consistency: Consistency, scenes: [Scene],
        clips: ClipStage? = nil, pricing: Pricing? = nil
    ) {
        self.pricing = pricing
        self.name = name
        self.generator = generator
        self.initialReference = initialReference
        self.consistency = consistency
        self.scenes = scenes
        self.clips = clips
    }

    /// The scene numbers (from 1) that have a clip, in order; empty without a clip stage.
    public var clipScenes: [Int] {
        guard let clips else { return [] }
        return clips.scenes ?? Array(1...scenes.count)
    }
}

/// The plan's `clips` object: clip/i is made from start/i (first frame) and end/i (last frame) and the
/// scene's motion prompt.
public struct ClipStage: Sendable, Hashable {
    /// The clip generator, with its semantic params (duration, frame rate, size…) and operational options.
    public var generator: GeneratorSpec
    /// The scene numbers (from 1, ascending, unique) that get a clip, or `nil` for every scene (`"all"`).
    public var scenes: [Int]?
    /// The motion prompt of scenes that do not set their own `motion`.
    public var motion: String?

    /// Creates a clip stage.
    public init(generator: GeneratorSpec, scenes: [Int]? = nil, motion: String? = nil) {
        self.generator = generator
        self.scenes = scenes
        self.motion = motion
    }
}

/// The plan's `generator` object.
public struct GeneratorSpec: Sendable, Hashable {
    /// The backend name: `procedural`, `command`, `replicate` or `openai`.
    public var backend: String
    /// The model name, e.g. `procedural-v1` or `google/nano-banana`.
    public var model: String
    /// Semantic parameters: they change the image, so they are part of every request and key.
    public var params: [String: JSONValue]
    /// Operational options (timeouts, retries, base URL, simulated latency): never part of a key.
    public var options: [String: JSONValue]

    /// Creates a generator spec.
    public init(backend: String, model: String, params: [String: JSONValue] = [:], options: [String: JSONValue] = [:]) {
        self.backend = backend
        self.model = model
        self.params = params
        self.options = options
    }
}

/// The plan's `consistency` object; absent or empty fields add nothing to prompts.
public struct Consistency: Sendable, Hashable {
    /// What the recurring subject looks like (`subject_description`); a specification at chain position 1,
    /// a "keep it identical" instruction after.
    public var subjectDescription: String?
    /// The visual style (`style`), e.g. `cinematic product photography`.
    public var style: String?
    /// The colour palette (`color_palette`), e.g. `deep navy, gold accents`.
    public var colorPalette: String?
    /// The lighting (`lighting`), e.g. `low-key, single rim light`.
    public var lighting: String?
    /// The framing and composition (`composition`), e.g. `centered subject, shallow depth of field`.
    public var composition: String?
    /// The mood (`mood`), e.g. `mysterious, luxurious`.
    public var mood: String?

    /// Creates consistency information.
    public init(
        subjectDescription: String? = nil, style: String? = nil, colorPalette: String? = nil,
        lighting: String? = nil, composition: String? = nil, mood: String? = nil
    ) {
        self.subjectDescription = subjectDescription
        self.style = style
        self.colorPalette = colorPalette
        self.lighting = lighting
        self.composition = composition
        self.mood = mood
    }
}

/// One scene of a plan: three base prompts and the notes that tie it to its neighbours.
public struct Scene: Sendable, Hashable {
    /// The base prompt of the scene's reference image (`ref/i`).
    public var reference: String
    /// The base prompt of the scene's start frame (`start/i`).
    public var start: String
    /// The base prompt of the scene's end frame (`end/i`).
    public var end: String
    /// How this scene continues the previous one (used at positions 2+).
    public var continuity: String?
    /// A consistency guideline for this scene (used at every position).
    public var guideline: String?
    /// The transition from the previous scene (used at positions 2+).
    public var transition: String?
    /// The take per role (default 1); another take is another sample of a nondeterministic model.
    public var takes: [Role: Int]
    /// The motion prompt of the scene's clip (`clip/i`), when the plan has a clip stage.
    public var motion: String?

    /// Creates a scene.
    public init(
        reference: String, start: String, end: String, continuity: String? = nil, guideline: String? = nil,
        transition: String? = nil, takes: [Role: Int] = [:], motion: String? = nil
    ) {
        self.motion = motion
        self.reference = reference
        self.start = start
        self.end = end
        self.continuity = continuity
        self.guideline = guideline
        self.transition = transition
        self.takes = takes
    }

    /// The base prompt for `role` (for a clip, the scene's own motion prompt, or `""` when it has none).
    public func prompt(for role: Role) -> String {
        switch role {
        case .reference: reference
        case .start: start
        case .end: end
        case .clip: motion ?? ""
        }
    }

    /// The take for `role` (1 unless the plan says otherwise).
    public func take(for role: Role) -> Int { takes[role] ?? 1 }
}

/// The three chains of a storyboard, and the clip stage that joins a scene's start and end frame.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The reference chain; node ids `ref/<i>`, plan field `reference`.
    case reference
    /// The start-frame chain; node ids `start/<i>`.
    case start
    /// The end-frame chain; node ids `end/<i>`.
    case end
    /// The clip stage: `clip/<i>` is a video from `start/<i>` to `end/<i>`.
    case clip

    /// The three frame chains, without the clip stage.
    public static let frames: [Role] = [.reference, .start, .end]

    /// The prefix of node ids and output files: `ref`, `start`, `end`, `clip`.
    public var nodePrefix: String {
        switch self {
        case .reference: "ref"
        case .start: "start"
        case .end: "end"
        case .clip: "clip"
        }
    }

    /// The role named by a node-id prefix (`ref`, `start`, `end`, `clip`).
    public init?(nodePrefix: String) {
        guard let role = Role.allCases.first(where: { $0.nodePrefix == nodePrefix }) else { return nil }
        self = role
    }

    private var order: Int { Role.allCases.firstIndex(of: self)! }

    /// Orders roles as the chains are listed: reference, start, end, then clip.
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.order < rhs.order }
}
