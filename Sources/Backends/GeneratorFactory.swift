import Chain

/// Builds the generator a plan's `generator` object names.
public enum GeneratorFactory {
    /// Makes the generator for `spec`, validating its options up front.
    ///
    /// Tokens are read from `environment` here but only demanded at the first call: a run whose
    /// links are all cached needs no token. The result is not wrapped in a ``RetryingGenerator``;
    /// the executor does that.
    ///
    /// - Parameters:
    ///   - spec: The plan's generator: backend, model, params and options.
    ///   - environment: The process environment (`REPLICATE_API_TOKEN`, `OPENAI_API_KEY`).
    /// - Returns: The backend.
    /// - Throws: ``GeneratorError`` for an unknown backend, a malformed model name or a bad option.
    public static func make(spec: GeneratorSpec, environment: [String: String]) throws(GeneratorError) -> any Generator
    {
        switch spec.backend {
        case ProceduralGenerator.backend:
            guard spec.model == ProceduralGenerator.model else {
                throw GeneratorError(
                    "the procedural backend has one model, \"\(ProceduralGenerator.model)\" (the plan names \"\(spec.model)\")"
                )
            }
            try GeneratorOptions(spec.options).checkKnown(
                ["latency_ms", "fail_rate", "seed", "retries", "retry_base_ms", "retry_max_ms"], backend: "procedural")
            _ = try RetryPolicy(options: spec.options)
            _ = try ProceduralGenerator.size(from: spec.params)
            return try ProceduralGenerator(options: spec.options)
        case "command":
            _ = try CommandGenerator.Settings(options: spec.options)
            _ = try RetryPolicy(options: spec.options)
            return CommandGenerator()
        case "replicate":
            _ = try ReplicateGenerator.Settings(options: spec.options)
            _ = try ReplicateGenerator.ModelReference(spec.model)
            return ReplicateGenerator(token: environment[ReplicateGenerator.tokenVariable])
        case FFmpegClipGenerator.backend:
            try FFmpegClipGenerator.validate(spec: spec)
            _ = try RetryPolicy(options: spec.options)
            return FFmpegClipGenerator()
        case "openai":
            _ = try OpenAIGenerator.Settings(options: spec.options)
            guard !spec.model.isEmpty else { throw GeneratorError("the openai backend needs a model name") }
            return OpenAIGenerator(token: environment[OpenAIGenerator.tokenVariable])
        default:
            throw GeneratorError(
                "unknown backend \"\(spec.backend)\" (expected procedural, command, replicate, openai or ffmpeg)")
        }
    }

    /// Makes the clip generator for a plan's `clips.generator`: `ffmpeg` (offline, `crossfade-v1`) or `replicate`
    /// (an image-to-video model, its frames mapped by `options.input_fields`).
    ///
    /// - Throws: ``GeneratorError`` for a backend that makes no clips, or a bad model or option.
    public static func makeClip(spec: GeneratorSpec, environment: [String: String]) throws(GeneratorError)
        -> any Generator
    {
        switch spec.backend {
        case FFmpegClipGenerator.backend:
            return try make(spec: spec, environment: environment)
        case "replicate":
            let settings = try ReplicateGenerator.Settings(options: spec.options)
            guard !settings.inputFields.isEmpty, Set(settings.inputFields).count == settings.inputFields.count else {
                throw GeneratorError("options.input_fields must name distinct inputs for the start and end frame")
            }
            _ = try ReplicateGenerator.ModelReference(spec.model)
            return ReplicateGenerator(token: environment[ReplicateGenerator.tokenVariable], producesVideo: true)
        default:
            throw GeneratorError(
                "the \(spec.backend) backend makes images, not clips (use ffmpeg or replicate)")
        }
    }
}
