import Chain
import Formats
import Foundation
import Store
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// The `command` backend: runs the user's program to make each image.
///
/// The program is `generator.options.command`, an argv array (`["python3", "gen.py", "--fast"]`);
/// a first element without `/` is looked up in `PATH`, one with `/` is a path relative to the
/// current directory. For every job it gets:
/// - on **stdin**, one JSON object: the request exactly as hashed (SPEC §3: `format`, `generator`,
///   `params`, `prompt`, `inputs`, `take`) plus `input_files`, the absolute paths of the input
///   images in `inputs` order, and `node`, the node id (informational only);
/// - the input images as files named `input-1.png`, `input-2.jpg`, … in a private temporary
///   directory (mode 0700, removed afterwards);
/// - the environment and working directory of framechain.
///
/// It must write one PNG, JPEG or WebP image to **stdout** and exit 0. A non-zero exit, death by
/// a signal, empty or non-image output, more than 64 MB of output, or running longer than
/// `options.timeout_s` (default 300) is a failure whose message ends with the last 2 KB of the
/// program's stderr. Failures are permanent, except exit status 75 (`EX_TEMPFAIL`), which the
/// program uses to ask for a retry. On timeout or task cancellation the program's whole process group
/// gets `SIGTERM`, then `SIGKILL` after a 2-second grace period.
///
/// stdout and stderr are read concurrently, so a program writing much to stderr cannot block. The
/// stdin JSON is handed over as a file (not a pipe), so a program that never reads it cannot block
/// either.
public struct CommandGenerator: Generator {
    /// The options this backend understands.
    static let knownOptions: Set<String> = ["command", "timeout_s", "retries", "retry_base_ms", "retry_max_ms"]
    /// The largest image accepted on stdout.
    static let maxOutputBytes = 64 << 20
    /// How much of stderr goes into an error message.
    static let stderrTailBytes = 2048
    /// The exit status that asks for a retry: `EX_TEMPFAIL` from `sysexits.h`.
    static let temporaryFailureStatus: TerminationStatus.Code = 75
    /// The wait between `SIGTERM` and `SIGKILL`.
    static let killGracePeriod: Duration = .seconds(2)

    /// Creates the backend; everything else comes from each job's options.
    public init() {}

    /// The settings read from a job's options.
    struct Settings: Sendable {
        var argv: [String]
        var timeout: Duration

        init(options: [String: JSONValue]) throws(GeneratorError) {
            let reader = GeneratorOptions(options)
            try reader.checkKnown(CommandGenerator.knownOptions, backend: "command")
            guard let argv = try reader.strings("command"), !argv[0].isEmpty else {
                throw GeneratorError(
                    "the command backend needs options.command, the program's argv as an array of strings")
            }
            self.argv = argv
            self.timeout = try reader.seconds("timeout_s", default: 300)
        }
    }

    /// Runs the program for one job.
    ///
    /// - Parameter job: The job.
    /// - Returns: The image the program wrote to stdout.
    /// - Throws: ``GeneratorError`` (never transient) or `CancellationError`.
    public func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        let settings = try Settings(options: job.options)
        let directory = try Self.makePrivateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var inputFiles: [JSONValue] = []
        for (index, input) in job.inputs.enumerated() {
            let path = directory + "/input-\(index + 1).\(input.mediaType.fileExtension)"
            try Self.write(input.bytes, to: path)
            inputFiles.append(.string(path))
        }
        guard case .object(var document) = job.request.json else {
            preconditionFailure("a request's JSON is always an object")
        }
        document["input_files"] = .array(inputFiles)
        document["node"] = .string(job.node)
        let requestPath = directory + "/request.json"
        try Self.write(CanonicalJSON.bytes(.object(document)), to: requestPath)

        let run = try await Self.run(settings: settings, stdinPath: requestPath)
        let program = settings.argv[0]
        switch run.status {
        case .exited(0):
            break
        case .exited(let code):
            var error = Self.failure("\(program) exited with status \(code)", stderr: run.stderrTail)
            error.isTransient = code == Self.temporaryFailureStatus
            throw error
        case .signaled(let signal):
            throw Self.failure("\(program) was killed by signal \(signal)", stderr: run.stderrTail)
        }
        if run.stdout.isEmpty {
            throw Self.failure("\(program) wrote nothing to stdout", stderr: run.stderrTail)
        }
        guard let mediaType = MediaType.sniff(run.stdout) else {
            throw Self.failure(
                "\(program) wrote \(run.stdout.count) bytes to stdout that are not a PNG, JPEG or WebP image",
                stderr: run.stderrTail)
        }
        return GeneratorOutput(bytes: run.stdout, mediaType: mediaType)
    }

    // MARK: - Running the program

    /// What one run of the program produced.
    private struct RunResult: Sendable {
        var status: TerminationStatus
        var stdout: [UInt8]
        var stderrTail: [UInt8]
    }

    /// Why collecting the output stopped early.
    private struct OutputTooLarge: Error {}

    /// Runs the program under the timeout; its process group is torn down on timeout or cancellation.
    private static func run(settings: Settings, stdinPath: String) async throws -> RunResult {
        let program = settings.argv[0]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let platformOptions = {
            var options = PlatformOptions()
            options.createSession = true
            options.teardownSequence = [
                .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: killGracePeriod)
            ]
            return options
        }()
        let stdin: FileDescriptor
        do {
            stdin = try FileDescriptor.open(FilePath(stdinPath), .readOnly)
        } catch {
            throw GeneratorError("cannot open the request file for \(program): \(error)")
        }
        let arguments = Arguments(Array(settings.argv.dropFirst()))
        let stderrTail = StderrTail()

        return try await withThrowingTaskGroup(of: RunResult?.self) { group in
            group.addTask {
                do {
                    let result = try await Subprocess.run(
                        executable, arguments: arguments, platformOptions: platformOptions,
                        input: .fileDescriptor(stdin, closeAfterSpawningProcess: true),
                        output: .sequence, error: .sequence
                    ) { execution in
                        async let drained: Void = stderrTail.drain(execution.standardError)
                        let stdout = try await Self.collect(execution.standardOutput)
                        try await drained
                        return stdout
                    }
                    return RunResult(
                        status: result.terminationStatus, stdout: result.closureResult, stderrTail: stderrTail.bytes)
                } catch is OutputTooLarge {
                    throw failure("\(program) wrote more than 64 MB to stdout and was killed", stderr: stderrTail.bytes)
                } catch {
                    if Task.isCancelled || error is CancellationError { throw CancellationError() }
                    throw GeneratorError("cannot run \(program): \(error)")
                }
            }
            group.addTask {
                try await Task.sleep(for: settings.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                // The sleeper finished first: cancelling the runner tears the process group down,
                // and waiting for it means the program is gone when this throws.
                group.cancelAll()
                _ = try? await group.next()
                throw failure(
                    "\(program) timed out after \(ProviderFailure.seconds(settings.timeout)) s and was killed",
                    stderr: stderrTail.bytes)
            }
            return result
        }
    }

    /// Reads all of stdout, up to ``maxOutputBytes``.
    private static func collect(_ sequence: SubprocessOutputSequence) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in sequence {
            guard bytes.count + buffer.count <= maxOutputBytes else {
                throw OutputTooLarge()
            }
            buffer.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The last ``stderrTailBytes`` of a program's stderr, readable while it is still being drained
    /// (so a timeout can report what the program said before it was killed).
    private final class StderrTail: Sendable {
        private let buffer = Mutex<[UInt8]>([])

        /// The tail so far.
        var bytes: [UInt8] { buffer.withLock { Array($0.suffix(CommandGenerator.stderrTailBytes)) } }

        /// Reads `sequence` to its end, keeping the tail.
        func drain(_ sequence: SubprocessOutputSequence) async throws {
            for try await chunk in sequence {
                buffer.withLock { tail in
                    chunk.withUnsafeBytes { tail.append(contentsOf: $0) }
                    if tail.count > 2 * CommandGenerator.stderrTailBytes {
                        tail.removeFirst(tail.count - CommandGenerator.stderrTailBytes)
                    }
                }
            }
        }
    }

    // MARK: - Helpers

    /// A permanent error whose message ends with the stderr tail, if any.
    private static func failure(_ what: String, stderr: [UInt8]) -> GeneratorError {
        let text = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return GeneratorError(text.isEmpty ? what + " (stderr was empty)" : what + "; stderr: " + text)
    }

    /// Creates a fresh directory only the current user can read.
    private static func makePrivateDirectory() throws(GeneratorError) -> String {
        let path = FileManager.default.temporaryDirectory.resolvingSymlinksInPath()
            .appendingPathComponent("framechain-command-" + UUID().uuidString).path
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw GeneratorError("cannot create a temporary directory for the command backend: \(error)")
        }
        return path
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(GeneratorError) {
        guard
            FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else {
            throw GeneratorError("cannot write \(path) for the command backend")
        }
    }
}
