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

    /// Creates a plan.
    public init(
        name: String, generator: GeneratorSpec, initialReference: String?, consistency: Consistency, scenes: [Scene]
    ) {
        self.name = name
        self.generator = generator
        self.initialReference = initialReference
        self.consistency = consistency
        self.scenes = scenes
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

    /// Creates a scene.
    public init(
        reference: String, start: String, end: String, continuity: String? = nil, guideline: String? = nil,
        transition: String? = nil, takes: [Role: Int] = [:]
    ) {
        self.reference = reference
        self.start = start
        self.end = end
        self.continuity = continuity
        self.guideline = guideline
        self.transition = transition
        self.takes = takes
    }

    /// The base prompt for `role`.
    public func prompt(for role: Role) -> String {
        switch role {
        case .reference: reference
        case .start: start
        case .end: end
        }
    }

    /// The take for `role` (1 unless the plan says otherwise).
    public func take(for role: Role) -> Int { takes[role] ?? 1 }
}

/// The three chains of a storyboard.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The reference chain; node ids `ref/<i>`, plan field `reference`.
    case reference
    /// The start-frame chain; node ids `start/<i>`.
    case start
    /// The end-frame chain; node ids `end/<i>`.
    case end

    /// The prefix of node ids and output files: `ref`, `start`, `end`.
    public var nodePrefix: String {
        switch self {
        case .reference: "ref"
        case .start: "start"
        case .end: "end"
        }
    }

    /// The role named by a node-id prefix (`ref`, `start`, `end`).
    public init?(nodePrefix: String) {
        guard let role = Role.allCases.first(where: { $0.nodePrefix == nodePrefix }) else { return nil }
        self = role
    }

    private var order: Int { Role.allCases.firstIndex(of: self)! }

    /// Orders roles as the chains are listed: reference, start, end.
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.order < rhs.order }
}
