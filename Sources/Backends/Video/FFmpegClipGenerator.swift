import Chain
import Formats
import Foundation
import Store
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// The `ffmpeg` clip backend (model `crossfade-v1`): an offline, deterministic clip generator that needs no
/// account.
///
/// It makes `clip/i` from its two inputs, `start/i` (first frame) and `end/i` (last frame), with the system
/// `ffmpeg`: both frames are fitted into the clip's size (letterboxed, aspect ratio kept), then blended frame by
/// frame, `A + (B − A)·n/(N − 1)` for frame n of N, so frame 0 is the start frame and the last frame is the end
/// frame. The video is H.264 (libx264, `yuv420p`, CRF 20, preset `medium`) in an MP4 with `faststart`, encoded
/// with one thread and `-fflags +bitexact -flags:v +bitexact` and no metadata: the same request gives the same
/// bytes with the same ffmpeg build. The ffmpeg version line is recorded as the generation's model version.
///
/// Semantic params (in the key): `duration` seconds (default 2, at most 60), `fps` (whole, default 12, at most
/// 60), `width` and `height` (even, default 288 × 512). The motion prompt is in the key but does not change the
/// pixels of this model. Options: `ffmpeg` (the program, default `ffmpeg` looked up in `PATH`), `timeout_s`
/// (default 120) and the retry options.
public struct FFmpegClipGenerator: Generator {
    /// The backend name in a plan's `clips.generator.backend`.
    public static let backend = "ffmpeg"
    /// The one model of this backend.
    public static let model = "crossfade-v1"
    /// The options this backend understands.
    static let knownOptions: Set<String> = ["ffmpeg", "timeout_s", "retries", "retry_base_ms", "retry_max_ms"]
    /// The params this backend understands.
    static let knownParams: Set<String> = ["duration", "fps", "width", "height"]
    /// How to install ffmpeg, for the error when it is missing.
    static let installHint =
        "install it (Debian/Ubuntu: apt-get install ffmpeg; Fedora: dnf install ffmpeg; macOS: brew install ffmpeg) "
        + "or set clips.generator.options.ffmpeg to its path"

    /// Creates the backend; everything else comes from each job's params and options.
    public init() {}

    /// The clip's shape, read from the request's params.
    struct Shape: Sendable, Equatable {
        var duration: Double = 2
        var fps = 12
        var width = 288
        var height = 512

        /// The number of frames: `duration × fps`, rounded, at least 2.
        var frameCount: Int { max(2, Int((duration * Double(fps)).rounded())) }

        init(params: [String: JSONValue]) throws(GeneratorError) {
            for name in params.keys.sorted() where !FFmpegClipGenerator.knownParams.contains(name) {
                throw GeneratorError(
                    "the ffmpeg clip backend has no param \"\(name)\" (it knows duration, fps, width, height)")
            }
            func number(_ name: String, range: ClosedRange<Double>, whole: Bool) throws(GeneratorError) -> Double? {
                guard let value = params[name] else { return nil }
                guard case .number(let number) = value, range.contains(number), !whole || number == number.rounded()
                else {
                    throw GeneratorError(
                        "params.\(name) must be \(whole ? "a whole number" : "a number") from "
                            + "\(CanonicalJSON.numberText(range.lowerBound)) to \(CanonicalJSON.numberText(range.upperBound))"
                    )
                }
                return number
            }
            duration = try number("duration", range: 0.1...60, whole: false) ?? duration
            fps = try number("fps", range: 1...60, whole: true).map { Int($0) } ?? fps
            width = try number("width", range: 16...4096, whole: true).map { Int($0) } ?? width
            height = try number("height", range: 16...4096, whole: true).map { Int($0) } ?? height
            guard width % 2 == 0, height % 2 == 0 else {
                throw GeneratorError(
                    "params.width and params.height must be even (H.264 in yuv420p), found \(width)×\(height)")
            }
        }
    }

    /// The operational settings, read from the job's options.
    struct Settings: Sendable {
        var program: String
        var timeout: Duration

        init(options: [String: JSONValue]) throws(GeneratorError) {
            let reader = GeneratorOptions(options)
            try reader.checkKnown(FFmpegClipGenerator.knownOptions, backend: "ffmpeg")
            program = try reader.string("ffmpeg") ?? "ffmpeg"
            timeout = try reader.seconds("timeout_s", default: 120)
        }
    }

    /// Checks a plan's clip generator before anything runs.
    ///
    /// - Throws: ``GeneratorError`` for another model, an unknown or out-of-range param, or a bad option.
    static func validate(spec: GeneratorSpec) throws(GeneratorError) {
        guard spec.model == model else {
            throw GeneratorError(
                "the ffmpeg clip backend has one model, \"\(model)\" (the plan names \"\(spec.model)\")")
        }
        _ = try Shape(params: spec.params)
        _ = try Settings(options: spec.options)
    }

    /// Makes one clip from the job's two input frames.
    ///
    /// - Parameter job: A clip request whose inputs are the start and the end frame.
    /// - Returns: The MP4 as a file the caller takes over, with the ffmpeg version as the model version.
    /// - Throws: ``GeneratorError`` (permanent) when ffmpeg is missing, fails or times out; `CancellationError`.
    public func generate(_ job: GenerationJob) async throws -> GeneratorOutput {
        let shape = try Shape(params: job.request.params)
        let settings = try Settings(options: job.options)
        guard job.inputs.count == 2, job.inputs.allSatisfy(\.mediaType.isImage) else {
            throw GeneratorError(
                "the ffmpeg clip backend needs two input images (the start and end frame), got \(job.inputs.count)")
        }
        let directory = FileManager.default.temporaryDirectory.resolvingSymlinksInPath()
            .appendingPathComponent("framechain-clip-" + UUID().uuidString).path
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw GeneratorError("cannot create a temporary directory for ffmpeg: \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var inputPaths: [String] = []
        for (index, input) in job.inputs.enumerated() {
            let path = directory + "/frame-\(index + 1).\(input.mediaType.fileExtension)"
            guard FileManager.default.createFile(atPath: path, contents: Data(input.bytes)) else {
                throw GeneratorError("cannot write \(path) for ffmpeg")
            }
            inputPaths.append(path)
        }
        // The clip is handed over as a file (the executor streams it into the store and removes it), so it lives
        // beside the private directory rather than in it.
        let outputPath = directory + ".mp4"
        var handedOver = false
        defer { if !handedOver { try? FileManager.default.removeItem(atPath: outputPath) } }
        let version = try await Self.run(settings.program, ["-version"], timeout: settings.timeout)
        _ = try await Self.run(
            settings.program, Self.arguments(shape: shape, inputs: inputPaths, output: outputPath),
            timeout: settings.timeout)
        let size = (try? FileManager.default.attributesOfItem(atPath: outputPath)[.size] as? Int) ?? 0
        guard size > 0 else { throw GeneratorError("ffmpeg exited 0 but wrote no clip") }
        // "ffmpeg version 5.1.9-0+deb12u1 Copyright …": the first three words name the build.
        let versionWords = String(decoding: version.prefix(200), as: UTF8.self).split(whereSeparator: \.isWhitespace)
        handedOver = true
        return GeneratorOutput(
            file: outputPath, mediaType: .mp4,
            modelVersion: "\(Self.model) (\(versionWords.prefix(3).joined(separator: " ")))")
    }

    /// The model of `export-video`'s joined video: the clips concatenated in order, streams copied.
    public static let concatModel = "concat-v1"

    /// Joins `clips` (MP4 files of the same codec and size) in order into one MP4 at `output`, with ffmpeg's concat
    /// demuxer and stream copy (`-c copy`, bitexact, `faststart`): no re-encoding, so the join is fast and its bytes
    /// follow from the clips'.
    ///
    /// - Parameters:
    ///   - program: The ffmpeg to run (`ffmpeg` on `PATH` by default).
    /// - Throws: ``GeneratorError`` when ffmpeg is missing (saying how to install it) or fails.
    public static func concatenate(
        _ clips: [String], into output: String, program: String = "ffmpeg", timeout: Duration = .seconds(600)
    ) async throws {
        let list = output + ".list"
        defer { try? FileManager.default.removeItem(atPath: list) }
        // The concat demuxer's list: one `file '<path>'` line per clip, with `'` written as `'\''`. ffmpeg resolves a
        // relative path against the list's directory, not the working directory, so every path is made absolute
        // (a store given as `.framechain`, the default, has relative blob paths).
        let workingDirectory = FileManager.default.currentDirectoryPath
        let text = clips.map { clip in
            let path = clip.hasPrefix("/") ? clip : workingDirectory + "/" + clip
            return "file '" + path.replacingOccurrences(of: "'", with: "'\\''") + "'\n"
        }.joined()
        guard FileManager.default.createFile(atPath: list, contents: Data(text.utf8)) else {
            throw GeneratorError("cannot write \(list) for ffmpeg")
        }
        _ = try await run(
            program,
            [
                "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list,
                "-c", "copy", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
                "-movflags", "+faststart", "-f", "mp4", output,
            ], timeout: timeout)
    }

    /// The ffmpeg command line for one clip (after the program name).
    static func arguments(shape: Shape, inputs: [String], output: String) -> [String] {
        let fit =
            "scale=\(shape.width):\(shape.height):force_original_aspect_ratio=decrease:flags=bicubic,"
            + "pad=\(shape.width):\(shape.height):(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p"
        let last = shape.frameCount - 1
        let filter = "[0:v]\(fit)[a];[1:v]\(fit)[b];[a][b]blend=all_expr='A+(B-A)*min(N/\(last)\\,1)'[v]"
        return [
            "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-loop", "1", "-framerate", "\(shape.fps)", "-i", inputs[0],
            "-loop", "1", "-framerate", "\(shape.fps)", "-i", inputs[1],
            "-filter_complex", filter, "-map", "[v]", "-frames:v", "\(shape.frameCount)",
            "-c:v", "libx264", "-preset", "medium", "-crf", "20", "-pix_fmt", "yuv420p",
            "-threads", "1", "-x264-params", "threads=1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", output,
        ]
    }

    /// Runs ffmpeg, returns its stdout; a missing program, a non-zero exit or a timeout is a permanent error with
    /// the tail of its stderr.
    private static func run(_ program: String, _ arguments: [String], timeout: Duration) async throws -> [UInt8] {
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        var platformOptions = PlatformOptions()
        platformOptions.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(2))]
        let options = platformOptions
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                let result: ExecutionResult<Void, BytesOutput, BytesOutput>
                do {
                    result = try await Subprocess.run(
                        executable, arguments: Arguments(arguments), platformOptions: options,
                        output: .bytes(limit: 1 << 20), error: .bytes(limit: 1 << 20))
                } catch let error as SubprocessError where error.code == .executableNotFound {
                    throw GeneratorError(
                        "\(program) was not found: the ffmpeg clip backend needs ffmpeg; \(installHint)")
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    throw GeneratorError("cannot run \(program): \(error)")
                }
                guard case .exited(0) = result.terminationStatus else {
                    let tail = String(decoding: result.standardError.suffix(2048), as: UTF8.self)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    throw GeneratorError(
                        "\(program) failed (\(result.terminationStatus))"
                            + (tail.isEmpty ? " (stderr was empty)" : "; stderr: \(tail)"))
                }
                return result.standardOutput
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let output = first else {
                group.cancelAll()
                _ = try? await group.next()
                throw GeneratorError("\(program) timed out after \(ProviderFailure.seconds(timeout)) s and was killed")
            }
            return output
        }
    }
}
