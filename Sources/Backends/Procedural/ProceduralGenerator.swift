import Chain
import Formats
import Store

/// The default, offline backend (`procedural`, model `procedural-v1`): it paints a real PNG whose look follows
/// the prompt and that visibly continues its reference image, so a chain of generations flows.
///
/// **Deterministic.** The PNG's bytes depend only on the request (its prompt, params and key) and the input
/// images: the same request always gives byte-identical output with the same zlib build. Options never
/// change the bytes.
///
/// **Size.** `params.width` and `params.height` are integers from 8 to 4096; the default is 288 × 512.
///
/// **Look.** Color, mood and subject words shape the image (a bottle, a figure, a cat, a rocket, …, or a
/// silhouette hashed from an unknown subject word); the opening sentence sets the layout; soft shapes come
/// from a hashed sample of the words, so similar prompts share them; the request key (and so the take)
/// changes the details.
///
/// **Continuation.** A PNG input is decoded, scaled to fill the output size (cropping the excess evenly) and
/// blended at 60% over the newly painted image; several PNG inputs are averaged first. JPEG and WebP inputs
/// cannot be decoded by this backend, so each contributes a color tint derived from its digest instead (a
/// documented limitation; such an input never makes the generation fail).
///
/// **Simulation.** `options.latency_ms` waits before answering (cancellable); `options.fail_rate` with
/// `options.seed` makes calls fail with a transient ``GeneratorError``, decided by the seed, the request key
/// and the attempt number for that key, which this generator instance counts. Options given to
/// ``init(options:)`` are defaults that a job's own options override key by key.
public struct ProceduralGenerator: Generator {
    /// The backend name in plans and requests.
    public static let backend = "procedural"
    /// The only model this backend implements.
    public static let model = "procedural-v1"
    /// The size used when `params` gives none.
    static let defaultSize = (width: 288, height: 512)
    /// The smallest and largest accepted `params.width` and `params.height`.
    static let sizeRange = 8...4096

    /// The share of a PNG reference in the output, out of 256 (60%).
    static let referenceWeight = 154
    /// The share of a JPEG or WebP input's tint in the output, out of 256 (27%).
    static let tintWeight = 70

    private let options: [String: JSONValue]
    private let defaults: ProceduralOptions
    private let ledger = AttemptLedger()

    /// Creates a procedural generator.
    ///
    /// - Parameter options: The plan's `generator.options`: `latency_ms`, `fail_rate` and `seed` are read,
    ///   other keys are ignored.
    /// - Throws: A non-transient ``GeneratorError`` naming an invalid option, e.g.
    ///   `options.fail_rate must be a number between 0 and 1`.
    public init(options: [String: JSONValue]) throws(GeneratorError) {
        self.options = options
        defaults = try ProceduralOptions(options)
    }

    /// Paints the image for `job`.
    ///
    /// - Parameter job: The request and its input images; `job.options` override the generator's options.
    /// - Returns: A PNG, with model version `procedural-v1`.
    /// - Throws: A non-transient ``GeneratorError`` for an unknown model, an invalid size or option, or a PNG
    ///   input that cannot be decoded; a transient one for a simulated failure; `CancellationError` if the
    ///   task is cancelled.
    public func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        let settings = job.options.isEmpty ? defaults : try ProceduralOptions(options.merging(job.options) { $1 })
        guard job.request.model == Self.model else {
            throw GeneratorError("the procedural backend has no model \(job.request.model) (it has \(Self.model))")
        }
        let size = try Self.size(from: job.request.params)
        if settings.latencyMilliseconds > 0 {
            try await Task.sleep(for: .milliseconds(settings.latencyMilliseconds))
        }
        let key = job.request.key
        let attempt = ledger.recordAttempt(for: key)
        if Self.simulatesFailure(key: key, seed: settings.seed, attempt: attempt, rate: settings.failRate) {
            throw GeneratorError(
                "simulated transient failure of \(job.node) (attempt \(attempt), options.fail_rate \(settings.failRate))",
                isTransient: true)
        }
        try Task.checkCancellation()
        let image = try Self.image(for: job.request, inputs: job.inputs, width: size.width, height: size.height)
        return GeneratorOutput(bytes: PNGEncoder.encode(image), mediaType: .png, modelVersion: Self.model)
    }

    // MARK: - Painting

    /// The image for `request`, before encoding; depends only on the request and the inputs.
    ///
    /// - Throws: A non-transient ``GeneratorError`` if a PNG input cannot be decoded.
    static func image(
        for request: GenerationRequest, inputs: [GeneratorInput], width: Int, height: Int
    ) throws(GeneratorError) -> RasterImage {
        let key = request.key
        let composition = Composition(
            prompt: request.prompt, detailSeed: StableHash.hash(key.bytes), width: width, height: height)
        var image = composition.render()

        var references: [RasterImage] = []
        var tints: [RGBColor] = []
        for (position, input) in inputs.enumerated() {
            switch input.mediaType {
            case .png:
                do {
                    references.append(try PNGDecoder.decode(input.bytes).resampled(toWidth: width, height: height))
                } catch {
                    throw GeneratorError("input \(position + 1) (\(input.digest)) cannot be decoded: \(error)")
                }
            case .jpeg, .webp, .mp4:
                tints.append(tint(of: input.digest))
            }
        }
        if !references.isEmpty {
            let reference = average(of: references)
            image.withUnsafeMutablePixels { pixels in
                reference.pixels.withUnsafeBufferPointer { reference in
                    for index in 0..<pixels.count {
                        let painted = Int(pixels[index])
                        pixels[index] = UInt8(
                            painted + ((Int(reference[index]) - painted) * referenceWeight + 128) >> 8)
                    }
                }
            }
        }
        if !tints.isEmpty {
            let tint = tints.dropFirst().reduce(tints[0]) { $0.mixed(with: $1, 128) }
            let channels = [tint.red, tint.green, tint.blue]
            image.withUnsafeMutablePixels { pixels in
                for index in 0..<pixels.count {
                    let value = Int(pixels[index])
                    pixels[index] = UInt8(value + ((channels[index % 3] - value) * tintWeight + 128) >> 8)
                }
            }
        }
        return image
    }

    /// A color derived from an undecodable input's digest: its first bytes pick hue, saturation and value.
    static func tint(of digest: Digest) -> RGBColor {
        let bytes = digest.bytes
        return RGBColor(
            hue: (Int(bytes[0]) << 8 | Int(bytes[1])) % 360, saturation: 110 + Int(bytes[2]) % 100,
            value: 150 + Int(bytes[3]) % 80)
    }

    /// The pixel-wise average of same-sized images.
    private static func average(of images: [RasterImage]) -> RasterImage {
        guard images.count > 1 else { return images[0] }
        var sums = [Int](repeating: 0, count: images[0].pixels.count)
        for image in images {
            for index in sums.indices { sums[index] += Int(image.pixels[index]) }
        }
        let count = images.count
        return RasterImage(
            width: images[0].width, height: images[0].height,
            pixels: sums.map { UInt8(($0 + count / 2) / count) })
    }

    // MARK: - Params and simulation

    /// The output size from `params.width` and `params.height`.
    ///
    /// - Throws: A non-transient ``GeneratorError`` such as `params.width must be an integer between 8 and 4096`.
    static func size(from params: [String: JSONValue]) throws(GeneratorError) -> (width: Int, height: Int) {
        func dimension(_ name: String, default fallback: Int) throws(GeneratorError) -> Int {
            guard let value = params[name] else { return fallback }
            guard case .number(let number) = value, number.rounded() == number,
                Double(sizeRange.lowerBound) <= number, number <= Double(sizeRange.upperBound)
            else {
                throw GeneratorError(
                    "params.\(name) must be an integer between \(sizeRange.lowerBound) and \(sizeRange.upperBound)")
            }
            return Int(number)
        }
        return (
            try dimension("width", default: defaultSize.width), try dimension("height", default: defaultSize.height)
        )
    }

    /// Whether attempt `attempt` at `key` fails, for `rate` and `seed`: a pure function of its arguments.
    static func simulatesFailure(key: Digest, seed: Int64, attempt: Int, rate: Double) -> Bool {
        guard rate > 0 else { return false }
        var bytes = key.bytes
        withUnsafeBytes(of: seed.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: Int64(attempt).littleEndian) { bytes += $0 }
        // 53 random bits give a uniform Double in [0, 1).
        let draw = Double(StableHash.hash(bytes) >> 11) / Double(1 << 53)
        return draw < rate
    }
}
