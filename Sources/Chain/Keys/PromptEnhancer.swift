/// Builds the prompt actually sent to the model for one link: the scene's base prompt plus the plan's
/// consistency information, in the order and wording of SPEC §1 (documented in `docs/KEYS.md`).
///
/// The enhanced prompt is a sequence of sentences joined by single spaces:
///
/// 1. the scene's base prompt for the role;
/// 2. `Subject: <subject_description>.` at chain position 1, and
///    `If the subject appears, keep it identical to this description: <subject_description>.` at 2+;
/// 3. `Style: <style>.`, `Color palette: <color_palette>.`, `Lighting: <lighting>.`,
///    `Composition: <composition>.`, `Mood: <mood>.` (those present, in this order);
/// 4. `Continuity with the previous scene: <continuity>.` (positions 2+);
/// 5. `Consistency guideline: <guideline>.` (every position);
/// 6. `Transition from the previous scene: <transition>.` (positions 2+);
/// 7. `Keep visual consistency with the previous scenes.` (positions 2+);
/// 8. `Keep exact visual consistency with the reference image.` (every position).
///
/// Every inserted text is trimmed of leading and trailing white space; a field that is absent, empty or
/// only white space adds nothing. A sentence that does not already end in `.`, `!`, `?` or `…` (possibly
/// followed by closing quotes or brackets) gets a final `.`. White space inside a field is kept as
/// written. The result has no leading or trailing white space and depends on nothing but its arguments.
///
/// The chain position is the scene number: scene 1 (index 0) is position 1 in all three chains.
/// This wording is part of the request format: changing it changes every key, so it only changes
/// together with ``version``.
public enum PromptEnhancer {
    /// The request format whose wording this is; equal to ``GenerationRequest/format``.
    public static let version = "framechain.request/v1"

    /// Returns the enhanced prompt for one link.
    ///
    /// - Parameters:
    ///   - plan: The plan.
    ///   - sceneIndex: The scene's 0-based index; must be a valid index of `plan.scenes`.
    ///   - role: The chain (reference, start or end), or the clip stage.
    /// - Returns: The prompt to send to the model, which is also the request's `prompt`.
    public static func enhancedPrompt(plan: Plan, sceneIndex: Int, role: Role) -> String {
        precondition(plan.scenes.indices.contains(sceneIndex), "scene index \(sceneIndex) is out of range")
        let scene = plan.scenes[sceneIndex]
        let consistency = plan.consistency
        let isFirst = sceneIndex == 0

        var sentences: [String] = []
        func add(_ field: String?, _ template: (String) -> String = { $0 }) {
            guard let field else { return }
            let text = trimmed(field)
            guard !text.isEmpty else { return }
            sentences.append(terminated(template(text)))
        }

        if role == .clip {
            // The motion prompt of clip/i (docs/KEYS.md §2, "Clips"): the frames carry the scene's look, so the
            // prompt names the motion, the subject, the style markers and the scene's guideline.
            add(scene.motion ?? plan.clips?.motion)
            add(consistency.subjectDescription) { "Keep the subject identical to this description: \($0)" }
            add(consistency.style) { "Style: \($0)" }
            add(consistency.colorPalette) { "Color palette: \($0)" }
            add(consistency.lighting) { "Lighting: \($0)" }
            add(consistency.mood) { "Mood: \($0)" }
            add(scene.guideline) { "Consistency guideline: \($0)" }
            sentences.append("Begin exactly on the first frame and end exactly on the last frame.")
            return sentences.joined(separator: " ")
        }

        add(scene.prompt(for: role))
        if isFirst {
            add(consistency.subjectDescription) { "Subject: \($0)" }
        } else {
            add(consistency.subjectDescription) {
                "If the subject appears, keep it identical to this description: \($0)"
            }
        }
        add(consistency.style) { "Style: \($0)" }
        add(consistency.colorPalette) { "Color palette: \($0)" }
        add(consistency.lighting) { "Lighting: \($0)" }
        add(consistency.composition) { "Composition: \($0)" }
        add(consistency.mood) { "Mood: \($0)" }
        if !isFirst {
            add(scene.continuity) { "Continuity with the previous scene: \($0)" }
        }
        add(scene.guideline) { "Consistency guideline: \($0)" }
        if !isFirst {
            add(scene.transition) { "Transition from the previous scene: \($0)" }
            sentences.append("Keep visual consistency with the previous scenes.")
        }
        sentences.append("Keep exact visual consistency with the reference image.")
        return sentences.joined(separator: " ")
    }

    /// The text without leading or trailing white space (Unicode `White_Space`, including newlines).
    private static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(text[first...last])
    }

    private static let closers: Set<Character> = ["\"", "'", ")", "]", "\u{201D}", "\u{2019}", "\u{00BB}"]
    private static let terminals: Set<Character> = [".", "!", "?", "\u{2026}"]

    /// The sentence with a final `.` unless it already ends in terminal punctuation (before any closers).
    private static func terminated(_ sentence: String) -> String {
        let core = sentence.reversed().drop(while: { closers.contains($0) })
        if let last = core.first, terminals.contains(last) { return sentence }
        return sentence + "."
    }
}
