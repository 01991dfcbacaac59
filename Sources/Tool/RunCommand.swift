import Formats
import ArgumentParser
import Chain
import Dispatch
import Store
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `framechain run PLAN`: generate what is missing, reuse the rest, record the run.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Generate what is missing, reuse the rest, and record the run.",
        discussion: """
            Exit status: 0 success; 1 some generations failed (everything else finished and was kept); 64 usage; \
            2 invalid plan or input; 3 offline miss; 4 integrity failure; 130 interrupted.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Option(name: .customLong("out"), help: ArgumentHelp("Write the images and manifest.json here.", valueName: "dir"))
    var out: String?

    @Option(
        name: .customLong("jobs"), help: ArgumentHelp("How many generations may run at once (1-256).", valueName: "n"),
        transform: { try OptionValue.integer($0, in: OptionValue.jobs) })
    var jobs: Int = 4

    @Flag(name: .customLong("offline"), help: "Never call a generator; fail with exit 3 if anything is missing.")
    var offline = false

    @Flag(name: .customLong("json"), help: "Print the documented JSON result instead of text.")
    var json = false

    @Option(
        name: .customLong("budget"),
        help: ArgumentHelp(
            "Refuse to start when the estimated cost exceeds this amount (in the plan's pricing unit), and start no "
                + "paid link that would take the spent amount over it.", valueName: "amount"))
    var budget: Double?

    func validate() throws {
        if let budget, !(budget >= 0 && budget.isFinite) {
            throw ValidationError("--budget must be an amount >= 0.")
        }
        if out?.isEmpty == true { throw ValidationError("--out must not be empty.") }
    }

    func run() async throws {
        let result: RunResult = try await ExitStatus.reportingErrors {
            let loaded = try planOptions.load()
            // Everything that can be checked without the store is checked before it is opened (or created).
            try ChainRunner.validate(
                takes: try planOptions.parsedTakes(), graph: ChainGraph(plan: loaded.plan))
            let generator: any Generator =
                offline ? RefusingGenerator() : try Generators.make(for: loaded)
            let clipGenerator: (any Generator)? = offline ? nil : try Generators.makeClip(for: loaded)
            if let out { try OutputDirectory.prepare(out, create: !offline) }
            let remote = try remoteOptions.makeSession()
            defer { RemoteOptions.printWarnings(of: remote) }
            if offline && !global.storeExists && remote == nil {
                // Without a store every link is a miss: report them without creating a store.
                try await global.withStoreForReading { store in
                    _ = try await ChainRunner(store: store, generator: RefusingGenerator())
                        .run(
                            loaded, configuration: RunConfiguration(takes: try planOptions.parsedTakes(), offline: true)
                        )
                }
            }
            let store = try global.openStore()
            let runner = ChainRunner(store: store, generator: generator, clipGenerator: clipGenerator, remote: remote)
            if !offline { try await Generators.requireToken(for: loaded, runner: runner, takes: try planOptions.parsedTakes()) }
            let configuration = RunConfiguration(
                jobs: jobs, takes: try planOptions.parsedTakes(), outputDirectory: out, offline: offline,
                budget: budget)
            let meter = ProgressMeter(enabled: isatty(STDERR_FILENO) == 1 && !json && !global.quiet)
            let task = Task {
                try await runner.run(loaded, configuration: configuration) { meter.show($0) }
            }
            let trap = SignalTrap { task.cancel() }
            defer { trap.cancel() }
            let result = try await task.value
            meter.finish()
            // Copy the run's commits into framechain.sqlite without waiting for other processes, so that the main
            // file alone is a complete copy of the store (docs/STORE-FORMAT.md, backing up). A failure loses
            // nothing: the commits stay in the write-ahead log.
            _ = try? store.checkpoint(waiting: false)
            return result
        }
        if json {
            StandardStream.output.writeLine(JSONText.pretty(Self.json(result)))
        } else if global.quiet {
            for link in result.links where link.outcome == .failed {
                StandardStream.error.writeLine("\(link.node) failed: \(link.error ?? link.reason ?? "")")
            }
        } else {
            StandardStream.output.write(Self.text(result, outputDirectory: out))
        }
        switch result.status {
        case .succeeded, .running: return
        case .failed: throw ExitCode(ExitStatus.failure)
        case .interrupted: throw ExitCode(ExitStatus.interrupted)
        }
    }

    static func json(_ result: RunResult) -> JSONValue {
        .object([
            "run": .string(result.runID),
            "status": .string(result.status.rawValue),
            "links": .array(
                result.links.map { link in
                    var object: [String: JSONValue] = [
                        "node": .string(link.node.description),
                        "key": link.key.map { .string($0.description) } ?? .null,
                        "output": link.output.map { .string($0.description) } ?? .null,
                        "outcome": .string(link.outcome.rawValue),
                        "reason": link.reason.map(JSONValue.string) ?? .null,
                    ]
                    if let error = link.error { object["error"] = .string(error) }
                    if link.fetched { object["remote"] = .bool(true) }
                    return .object(object)
                }),
        ])
    }

    static func text(_ result: RunResult, outputDirectory: String?) -> String {
        var out = ""
        for link in result.links where link.outcome != .hit {
            var line = "\(link.node.description.padding(to: 9)) \(link.outcome.rawValue.padding(to: 9))"
            if let error = link.error {
                line += " (\(link.reason ?? "")) \(error)"
            } else if let reason = link.reason {
                line += " \(reason)"
            }
            out += line + "\n"
        }
        func count(_ outcome: LinkOutcome) -> Int { result.links.count { $0.outcome == outcome } }
        let fetched = result.links.count(where: \.fetched)
        out += "run \(result.runID) \(result.status.rawValue): \(result.links.count) links, \(count(.hit)) hits"
        out += fetched > 0 ? " (\(fetched) from the remote cache), " : ", "
        out += "\(count(.generated)) generated, \(count(.failed)) failed, \(count(.skipped)) skipped\n"
        if let outputDirectory { out += "outputs in \(outputDirectory)/ (manifest.json)\n" }
        return out
    }
}

/// Shows a one-line progress meter on a terminal (standard error), and nothing otherwise.
final class ProgressMeter: Sendable {
    private let enabled: Bool
    private let start = ContinuousClock.now

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: RunProgress) {
        guard enabled else { return }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let tenths = Int(seconds * 10)
        StandardStream.error.write(
            "\r\u{1B}[K[\(progress.done)/\(progress.total)] hits \(progress.hits) · generating \(progress.generating)"
                + " · generated \(progress.generated) · failed \(progress.failed) · \(tenths / 10).\(tenths % 10)s")
    }

    func finish() {
        if enabled { StandardStream.error.write("\r\u{1B}[K") }
    }
}

/// Turns the first SIGINT or SIGTERM into a call of `handler` (a graceful stop) while it lives; a second one
/// exits at once with status 130, for a generator that does not stop.
final class SignalTrap {
    private static let signals = [SIGINT, SIGTERM]
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        let received = Mutex(0)
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = received.withLock { count in
                    count += 1
                    return count
                }
                if count == 1 {
                    StandardStream.error.writeLine("\nStopping: finishing what is recorded (press Ctrl-C again to quit now)")
                    handler()
                } else {
                    _exit(ExitStatus.interrupted)
                }
            }
            source.resume()
            return source
        }
    }

    /// Stops trapping and restores the default handlers.
    func cancel() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
