import Formats
import Store

/// Reads and validates plan files (`framechain.plan/v1`, SPEC §2).
///
/// Validation is strict: unknown fields anywhere, wrong types, an empty scene list, empty or
/// white-space-only prompts and names, and takes that are not integers from 1 are errors. Optional
/// fields may be absent; `null` is not accepted in their place. The first problem is reported, looking
/// at `format` first, then at unknown fields, then at the known fields in the order the format lists
/// them.
public enum PlanLoader {
    /// The largest take accepted: the largest integer a JSON number (an IEEE double) holds exactly.
    public static let maximumTake = 9_007_199_254_740_991

    /// The longest text a plan field (a prompt, a note, the name) may hold, in UTF-8 bytes: well above any
    /// provider's prompt limit, low enough that a runaway file is reported instead of sent.
    public static let maximumTextLength = 100_000

    /// The largest plan file read, in bytes (16 MiB: a thousand-scene plan is well under 1 MiB).
    public static let maximumFileSize = 16 << 20

    /// Reads a plan file, validates it, and checks its initial reference image.
    ///
    /// The initial reference, when the plan names one, is resolved relative to the plan file's directory
    /// and must be a readable regular file whose content is a PNG, JPEG or WebP image.
    ///
    /// - Parameter path: The plan file's path.
    /// - Returns: The plan, its exact bytes, and the resolved initial reference path.
    /// - Throws: ``PlanError`` naming the file and the offending JSON path.
    public static func load(contentsOf path: String) throws(PlanError) -> LoadedPlan {
        let bytes: [UInt8]
        // Only a regular file has a size to speak of; anything else is reported by LocalFile.
        if let size = try? FileSystem.status(at: path).st_size, Int(size) > maximumFileSize {
            throw PlanError(
                file: path, message: "the plan file is \(size) bytes; the limit is \(maximumFileSize) bytes")
        }
        do {
            bytes = try LocalFile.readAll(path)
        } catch {
            throw PlanError(file: path, message: error.reason)
        }
        let plan = try decode(bytes, file: path)
        var initialReferencePath: String?
        if let reference = plan.initialReference {
            let resolved = resolve(reference, relativeTo: path)
            try checkImage(at: resolved, planFile: path)
            initialReferencePath = resolved
        }
        return LoadedPlan(plan: plan, bytes: bytes, path: path, initialReferencePath: initialReferencePath)
    }

    /// Parses and validates plan bytes, without touching the file system.
    ///
    /// - Parameters:
    ///   - bytes: The plan's UTF-8 JSON text.
    ///   - file: The name to use in error messages.
    /// - Returns: The validated plan.
    /// - Throws: ``PlanError`` naming `file`, and the line and column or the JSON path of the problem.
    public static func decode(_ bytes: [UInt8], file: String) throws(PlanError) -> Plan {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw PlanError(file: file, line: error.line, column: error.column, message: error.message)
        }
        return try PlanDecoder(file: file).plan(from: json)
    }

    /// Resolves a path written in a plan relative to the plan file's directory.
    ///
    /// Absolute paths are returned unchanged; nothing is normalized or resolved against the file system.
    ///
    /// - Parameters:
    ///   - reference: The path as written in the plan.
    ///   - planPath: The plan file's path.
    /// - Returns: The resolved path, e.g. `plans/images/bottle.png` for `images/bottle.png` in `plans/ad.json`.
    static func resolve(_ reference: String, relativeTo planPath: String) -> String {
        if reference.hasPrefix("/") { return reference }
        guard let slash = planPath.lastIndex(of: "/") else { return reference }
        return planPath[...slash] + reference
    }

    /// Checks that `path` is a readable PNG, JPEG or WebP image (by content).
    private static func checkImage(at path: String, planFile: String) throws(PlanError) {
        let prefix: [UInt8]
        do {
            prefix = try LocalFile.readPrefix(path, count: 12)
        } catch {
            let reason = error == .isDirectory ? "is a directory, not an image file" : error.reason
            throw PlanError(file: planFile, path: "initial_reference", message: "\(path): \(reason)")
        }
        guard let type = MediaType.sniff(prefix) else {
            throw PlanError(
                file: planFile, path: "initial_reference", message: "\(path): not a PNG, JPEG or WebP image")
        }
        // A PNG is decoded completely (CRCs, header, pixel data, the pixel limit), so that a damaged or lying file
        // is reported here rather than as a failed link. JPEG and WebP are checked by their signature only.
        guard type == .png else { return }
        do {
            _ = try PNGDecoder.decode(try LocalFile.readAll(path))
        } catch let error as PNGError {
            throw PlanError(
                file: planFile, path: "initial_reference", message: "\(path): not a usable PNG image: \(error)")
        } catch let error as LocalFile.ReadError {
            throw PlanError(file: planFile, path: "initial_reference", message: "\(path): \(error.reason)")
        } catch {
            throw PlanError(file: planFile, path: "initial_reference", message: "\(path): \(error)")
        }
    }
}

// MARK: - Decoding

/// Turns a parsed JSON value into a ``Plan``, reporting the first problem with its JSON path.
private struct PlanDecoder {
    let file: String

    func plan(from json: JSONValue) throws(PlanError) -> Plan {
        guard case .object(let root) = json else {
            throw PlanError(file: file, message: "expected a JSON object at the top level, found \(kind(json))")
        }
        try checkFormat(root)
        try checkFields(
            root,
            allowed: ["format", "name", "generator", "initial_reference", "consistency", "scenes", "clips", "pricing"],
            at: nil)
        let name = try nonEmptyString(required(root, "name", at: nil), at: "name")
        if let control = name.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            throw error("name", "must not contain control characters (found U+\(hex(control)))")
        }
        let generator = try generatorSpec(required(root, "generator", at: nil), at: "generator")
        let initialReference = try root["initial_reference"].map { value throws(PlanError) in
            try nonEmptyString(value, at: "initial_reference")
        }
        let consistency = try root["consistency"].map { value throws(PlanError) in
            try self.consistency(value, at: "consistency")
        }
        let scenes = try self.scenes(required(root, "scenes", at: nil), at: "scenes")
        let clips = try root["clips"].map { value throws(PlanError) in
            try clipStage(value, at: "clips", scenes: scenes)
        }
        let pricing = try root["pricing"].map { value throws(PlanError) in try self.pricing(value, at: "pricing") }
        return Plan(
            name: name, generator: generator, initialReference: initialReference,
            consistency: consistency ?? Consistency(), scenes: scenes, clips: clips, pricing: pricing)
    }

    /// The `pricing` object: model name → `{"per_image": n, "per_second": n}` (each optional, a number >= 0).
    private func pricing(_ value: JSONValue, at path: String) throws(PlanError) -> Pricing {
        let members = try object(value, at: path)
        var models: [String: Pricing.Price] = [:]
        for model in sortedKeys(members) {
            let modelPath = join(path, model)
            let entry = try object(members[model]!, at: modelPath)
            try checkFields(entry, allowed: ["per_image", "per_second"], at: modelPath)
            var price = Pricing.Price()
            for field in ["per_image", "per_second"] {
                guard let amount = entry[field] else { continue }
                guard case .number(let number) = amount, number >= 0 else {
                    throw error(join(modelPath, field), "expected a price >= 0, found \(CanonicalJSON.string(amount))")
                }
                if field == "per_image" { price.perImage = number } else { price.perSecond = number }
            }
            models[model] = price
        }
        return Pricing(models: models)
    }

    /// The `clips` object: `generator` (required), `scenes` (`"all"`, the default, or scene numbers from 1) and
    /// `motion` (the default motion prompt). Every scene with a clip needs a motion prompt, its own or the default.
    private func clipStage(_ value: JSONValue, at path: String, scenes: [Scene]) throws(PlanError) -> ClipStage {
        let members = try object(value, at: path)
        try checkFields(members, allowed: ["generator", "scenes", "motion"], at: path)
        let generator = try generatorSpec(required(members, "generator", at: path), at: join(path, "generator"))
        var selected: [Int]?
        if let value = members["scenes"] {
            let scenesPath = join(path, "scenes")
            switch value {
            case .string("all"):
                selected = nil
            case .array(let elements) where !elements.isEmpty:
                var numbers: [Int] = []
                for (index, element) in elements.enumerated() {
                    guard case .number(let number) = element, number == number.rounded(.towardZero),
                        number >= 1, number <= Double(scenes.count)
                    else {
                        throw error(
                            "\(scenesPath)[\(index)]",
                            "expected a scene number from 1 to \(scenes.count), found \(CanonicalJSON.string(element))")
                    }
                    guard numbers.last.map({ $0 < Int(number) }) ?? true else {
                        throw error("\(scenesPath)[\(index)]", "scene numbers must be ascending and unique")
                    }
                    numbers.append(Int(number))
                }
                selected = numbers
            default:
                throw error(scenesPath, "expected \"all\" or a non-empty array of scene numbers, found \(kind(value))")
            }
        }
        let motion = try members["motion"].map { value throws(PlanError) in
            try nonEmptyString(value, at: join(path, "motion"))
        }
        for number in selected ?? Array(1...scenes.count) where scenes[number - 1].motion == nil && motion == nil {
            throw error(
                "scenes[\(number - 1)].motion",
                "missing required field: scene \(number) has a clip and clips.motion gives no default")
        }
        return ClipStage(generator: generator, scenes: selected, motion: motion)
    }

    private func checkFormat(_ root: [String: JSONValue]) throws(PlanError) {
        let expected = CanonicalJSON.string(.string(Plan.format))
        guard let value = root["format"] else {
            throw error("format", "missing required field; expected \(expected)")
        }
        guard case .string(let format) = value else {
            throw error("format", "expected \(expected), found \(kind(value))")
        }
        guard format == Plan.format else {
            throw error("format", "unsupported plan format \(CanonicalJSON.string(value)); expected \(expected)")
        }
    }

    private func generatorSpec(_ value: JSONValue, at path: String) throws(PlanError) -> GeneratorSpec {
        let members = try object(value, at: path)
        try checkFields(members, allowed: ["backend", "model", "params", "options"], at: path)
        let backend = try nonEmptyString(required(members, "backend", at: path), at: join(path, "backend"))
        let model = try nonEmptyString(required(members, "model", at: path), at: join(path, "model"))
        let params = try members["params"].map { value throws(PlanError) in
            try object(value, at: join(path, "params"))
        }
        let options = try members["options"].map { value throws(PlanError) in
            try object(value, at: join(path, "options"))
        }
        return GeneratorSpec(backend: backend, model: model, params: params ?? [:], options: options ?? [:])
    }

    private func consistency(_ value: JSONValue, at path: String) throws(PlanError) -> Consistency {
        let members = try object(value, at: path)
        let fields = ["subject_description", "style", "color_palette", "lighting", "composition", "mood"]
        try checkFields(members, allowed: Set(fields), at: path)
        var strings: [String: String] = [:]
        for field in fields {
            strings[field] = try optionalString(members, field, at: path)
        }
        return Consistency(
            subjectDescription: strings["subject_description"], style: strings["style"],
            colorPalette: strings["color_palette"], lighting: strings["lighting"],
            composition: strings["composition"], mood: strings["mood"])
    }

    private func scenes(_ value: JSONValue, at path: String) throws(PlanError) -> [Scene] {
        guard case .array(let elements) = value else {
            throw error(path, "expected a non-empty array of scenes, found \(kind(value))")
        }
        guard !elements.isEmpty else {
            throw error(path, "expected at least one scene, found an empty array")
        }
        var scenes: [Scene] = []
        scenes.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            scenes.append(try scene(element, at: "\(path)[\(index)]"))
        }
        return scenes
    }

    private func scene(_ value: JSONValue, at path: String) throws(PlanError) -> Scene {
        let members = try object(value, at: path)
        try checkFields(
            members,
            allowed: ["reference", "start", "end", "continuity", "guideline", "transition", "takes", "motion"],
            at: path)
        let reference = try nonEmptyString(required(members, "reference", at: path), at: join(path, "reference"))
        let start = try nonEmptyString(required(members, "start", at: path), at: join(path, "start"))
        let end = try nonEmptyString(required(members, "end", at: path), at: join(path, "end"))
        let continuity = try optionalString(members, "continuity", at: path)
        let guideline = try optionalString(members, "guideline", at: path)
        let transition = try optionalString(members, "transition", at: path)
        let takes = try members["takes"].map { value throws(PlanError) in
            try self.takes(value, at: join(path, "takes"))
        }
        let motion = try members["motion"].map { value throws(PlanError) in
            try nonEmptyString(value, at: join(path, "motion"))
        }
        return Scene(
            reference: reference, start: start, end: end, continuity: continuity, guideline: guideline,
            transition: transition, takes: takes ?? [:], motion: motion)
    }

    private func takes(_ value: JSONValue, at path: String) throws(PlanError) -> [Role: Int] {
        let members = try object(value, at: path)
        for key in sortedKeys(members) where Role(rawValue: key) == nil {
            throw error(join(path, key), "unknown role; takes are keyed by reference, start, end or clip")
        }
        var takes: [Role: Int] = [:]
        for role in Role.allCases {
            guard let value = members[role.rawValue] else { continue }
            let takePath = join(path, role.rawValue)
            guard case .number(let number) = value else {
                throw error(takePath, "take must be an integer >= 1, found \(kind(value))")
            }
            guard number >= 1, number == number.rounded(.towardZero) else {
                throw error(takePath, "take must be an integer >= 1, found \(CanonicalJSON.numberText(number))")
            }
            guard number <= Double(PlanLoader.maximumTake) else {
                throw error(
                    takePath,
                    "take must be at most \(PlanLoader.maximumTake), found \(CanonicalJSON.numberText(number))")
            }
            takes[role] = Int(number)
        }
        return takes
    }

    // MARK: - Field helpers

    /// Reports the first unknown field (in UTF-16 order, so the report is deterministic).
    private func checkFields(_ members: [String: JSONValue], allowed: Set<String>, at path: String?)
        throws(PlanError)
    {
        for key in sortedKeys(members) where !allowed.contains(key) {
            throw error(join(path, key), "unknown field")
        }
    }

    private func required(_ members: [String: JSONValue], _ key: String, at path: String?) throws(PlanError)
        -> JSONValue
    {
        guard let value = members[key] else { throw error(join(path, key), "missing required field") }
        return value
    }

    private func object(_ value: JSONValue, at path: String) throws(PlanError) -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw error(path, "expected an object, found \(kind(value))")
        }
        return members
    }

    /// A string that is neither empty nor only white space (kept exactly as written).
    private func nonEmptyString(_ value: JSONValue, at path: String) throws(PlanError) -> String {
        guard case .string(let text) = value else {
            throw error(path, "expected a non-empty string, found \(kind(value))")
        }
        guard !text.isEmpty else { throw error(path, "expected a non-empty string, found an empty string") }
        guard !text.allSatisfy(\.isWhitespace) else {
            throw error(path, "expected a non-empty string, found only white space")
        }
        try checkText(text, at: path)
        return text
    }

    /// Refuses text longer than ``PlanLoader/maximumTextLength`` bytes or holding a NUL character.
    private func checkText(_ text: String, at path: String) throws(PlanError) {
        let length = text.utf8.count
        guard length <= PlanLoader.maximumTextLength else {
            throw error(path, "the text is \(length) bytes long; the limit is \(PlanLoader.maximumTextLength) bytes")
        }
        guard !text.utf8.contains(0) else { throw error(path, "must not contain a NUL character (U+0000)") }
    }

    private func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// An optional string member (absent is `nil`; `null` and other types are errors).
    private func optionalString(_ members: [String: JSONValue], _ key: String, at path: String) throws(PlanError)
        -> String?
    {
        guard let value = members[key] else { return nil }
        guard case .string(let text) = value else {
            throw error(join(path, key), "expected a string, found \(kind(value))")
        }
        try checkText(text, at: join(path, key))
        return text
    }

    private func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
    }

    /// `parent.key`, or `parent["key"]` when the key is not a plain identifier.
    private func join(_ parent: String?, _ key: String) -> String {
        let isIdentifier =
            !key.isEmpty
            && key.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
        guard isIdentifier else { return (parent ?? "") + "[" + CanonicalJSON.string(.string(key)) + "]" }
        guard let parent else { return key }
        return parent + "." + key
    }

    private func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private func error(_ path: String?, _ message: String) -> PlanError {
        PlanError(file: file, path: path, message: message)
    }
}
