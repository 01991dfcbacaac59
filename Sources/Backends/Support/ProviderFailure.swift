import Chain

/// Turns provider HTTP outcomes into ``GeneratorError``s with the house wording.
///
/// Messages read `<what happened> from <provider>: <detail>`; ``RetryingGenerator`` relies on the
/// first `": "` to insert the number of attempts. No header ever goes into a message.
enum ProviderFailure {
    /// The error for a non-2xx reply: 408, 409, 429 and 5xx are transient (with the server's
    /// requested wait), everything else is permanent. `x-should-retry` overrides the status.
    static func status(_ reply: HTTPReply, from provider: String, context: String = "") -> GeneratorError {
        var transient = reply.status == 408 || reply.status == 409 || reply.status == 429 || reply.status >= 500
        switch reply.header("x-should-retry")?.lowercased() {
        case "true": transient = true
        case "false": transient = false
        default: break
        }
        let detail = Self.detail(of: reply.body)
        return GeneratorError(
            "HTTP \(reply.status) from \(provider)\(context): \(detail)", isTransient: transient,
            retryAfter: transient ? reply.retryAfter : nil)
    }

    /// The human-readable part of an error body: RFC 7807 `title`/`detail` (Replicate),
    /// `error.message` (OpenAI), a plain `error` or `message` string, or the start of the text.
    static func detail(of body: [UInt8]) -> String {
        if let json = ProviderJSON(parsing: body) {
            let title = json["title"]?.string
            let detail = json["detail"]?.string
            switch (title, detail) {
            case (let title?, let detail?): return title == detail ? detail : "\(title): \(detail)"
            case (let title?, nil): return title
            case (nil, let detail?): return detail
            default: break
            }
            if let message = json["error"]?["message"]?.string { return message }
            if let message = json["error"]?.string ?? json["message"]?.string { return message }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? "(empty response body)" : text
    }

    /// The error for a failed exchange with no response.
    ///
    /// - Parameters:
    ///   - failure: What went wrong.
    ///   - provider: The provider name.
    ///   - action: What was being done, e.g. `polling prediction abc`.
    ///   - mayHaveStarted: Whether the request may have started paid work, in which case timeouts
    ///     and broken exchanges are permanent (a retry could pay twice).
    static func exchange(
        _ failure: HTTPFailure, provider: String, action: String, timeout: Duration, mayHaveStarted: Bool
    ) -> GeneratorError {
        switch failure {
        case .notSent(let reason):
            return GeneratorError("cannot connect to \(provider) for \(action): \(reason)", isTransient: true)
        case .tooLarge:
            return GeneratorError(
                "\(provider) answered \(action) with too large a response: more than "
                    + "\(ProviderHTTP.maxResponseBytes >> 20) MB")
        case .timedOut where mayHaveStarted:
            return GeneratorError(
                "\(provider) did not answer \(action) in time: no reply within \(seconds(timeout)) s; a paid "
                    + "generation may have started, so it was not retried")
        case .broken(let reason) where mayHaveStarted:
            return GeneratorError(
                "connection to \(provider) broke during \(action): \(reason); a paid generation may have "
                    + "started, so it was not retried")
        case .timedOut:
            return GeneratorError(
                "\(provider) did not answer \(action) in time: no reply within \(seconds(timeout)) s",
                isTransient: true)
        case .broken(let reason):
            return GeneratorError("connection to \(provider) broke during \(action): \(reason)", isTransient: true)
        }
    }

    /// A duration in seconds, without a fractional part when whole.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? String(Int64(value)) : String(value)
    }
}
