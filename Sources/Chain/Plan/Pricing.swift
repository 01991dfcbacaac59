import Formats

/// The plan's `pricing` table: what a generation of each model costs, in the plan's own unit (docs/PLAN.md).
///
/// framechain is currency-neutral: amounts are plain numbers in whatever unit the prices are written in (dollars,
/// credits, …), and every total it prints is in that unit.
public struct Pricing: Sendable, Hashable {
    /// The price of one model.
    public struct Price: Sendable, Hashable {
        /// A fixed amount per generation (per image, or per clip).
        public var perImage: Double
        /// An amount per second of the provider's reported prediction time (Replicate's `metrics.predict_time`),
        /// or of the generation's measured duration when the provider reports none.
        public var perSecond: Double

        /// Creates a price.
        public init(perImage: Double = 0, perSecond: Double = 0) {
            self.perImage = perImage
            self.perSecond = perSecond
        }
    }

    /// The price per model name (the `model` of `generator` or `clips.generator`).
    public var models: [String: Price]

    /// Creates a pricing table.
    public init(models: [String: Price]) {
        self.models = models
    }

    /// What one generation of `model` cost, and how that was computed, or `nil` when the table has no price for
    /// the model.
    ///
    /// - Parameters:
    ///   - model: The model named in the request.
    ///   - usage: What the provider reported (`metrics` on Replicate); its `predict_time` (seconds) is billed.
    ///   - measuredSeconds: How long the generation took here, billed when the provider reports no time.
    /// - Returns: The amount and its basis, e.g. `per_image 0.04` or `per_second 0.0014 × 3.2 s predict_time`.
    public func cost(model: String, usage: JSONValue?, measuredSeconds: Double) -> (amount: Double, basis: String)? {
        guard let price = models[model] else { return nil }
        var seconds = measuredSeconds
        var source = "measured"
        if case .object(let metrics)? = usage, case .number(let predicted)? = metrics["predict_time"] {
            seconds = predicted
            source = "predict_time"
        }
        var parts: [String] = []
        if price.perImage > 0 || price.perSecond == 0 {
            parts.append("per_image \(CostEstimate.format(price.perImage))")
        }
        if price.perSecond > 0 {
            parts.append(
                "per_second \(CanonicalJSON.numberText(price.perSecond)) × \(CostEstimate.format(seconds)) s \(source)")
        }
        return (price.perImage + price.perSecond * seconds, parts.joined(separator: " + "))
    }

    /// The expected cost of one generation of `model`, for estimates: the per-image price plus the per-second price
    /// times `expectedSeconds` (the model's mean recorded time, 0 when nothing was recorded yet).
    public func estimate(model: String, expectedSeconds: Double) -> Double? {
        guard let price = models[model] else { return nil }
        return price.perImage + price.perSecond * expectedSeconds
    }
}

/// What the next run of a plan with a `pricing` table is expected to cost.
public struct CostEstimate: Sendable, Hashable {
    /// The expected cost of the links to generate (those to regenerate and those pending behind them).
    public var toGenerate: Double
    /// How many links that is.
    public var links: Int
    /// What the cached links would cost if generated: what the cache saves against a cold run.
    public var saved: Double
    /// Links whose model has no price in the table (counted as 0).
    public var unpriced: Int

    /// Creates an estimate.
    public init(toGenerate: Double = 0, links: Int = 0, saved: Double = 0, unpriced: Int = 0) {
        self.toGenerate = toGenerate
        self.links = links
        self.saved = saved
        self.unpriced = unpriced
    }

    /// The cost of a cold run: everything generated.
    public var cold: Double { toGenerate + saved }

    /// An amount as framechain prints it: up to 4 decimals, no trailing zeros (`0.16`, `12`, `0.0014`).
    public static func format(_ amount: Double) -> String {
        let rounded = (amount * 10_000).rounded() / 10_000
        return CanonicalJSON.numberText(rounded == 0 ? 0 : rounded)
    }
}
