import ArgumentParser
import Backends
import Chain
import Foundation
import Store

/// `framechain export-video PLAN --out ad.mp4`: the storyboard's clips joined in scene order into one video.
struct ExportVideoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-video",
        abstract: "Join the plan's clips, in scene order, into one MP4 (ffmpeg's concat, streams copied).",
        discussion: """
            The clips must already be in the store (run the plan first); export-video never generates a clip. \
            The joined video is keyed like a link (backend ffmpeg, model concat-v1, the clips' digests in order) \
            and cached: after an edit it is joined again only when a clip changed. Exit status: 0 success; \
            2 invalid plan or no clips stage; 3 a clip is not in the store; 4 a clip blob does not verify.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var planOptions: PlanOptions

    @Option(name: .customLong("out"), help: ArgumentHelp("The MP4 file to write.", valueName: "file"))
    var out: String

    @Option(name: .customLong("ffmpeg"), help: ArgumentHelp("The ffmpeg program to run.", valueName: "path"))
    var ffmpeg = "ffmpeg"

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must not be empty.") }
    }

    func run() async throws {
        let (digest, cached) = try await ExitStatus.reportingErrors { () async throws -> (Digest, Bool) in
            let loaded = try planOptions.load()
            guard loaded.plan.clips != nil else {
                throw PlanError(file: loaded.path, path: "clips", message: "the plan has no clips stage to export")
            }
            let store = try global.openExistingStore()
            let report = try await ChainRunner(store: store, generator: RefusingGenerator())
                .status(of: loaded, takes: try planOptions.parsedTakes())
            let clips = report.links.filter { $0.node.role == .clip }
            let missing = clips.filter { $0.state != .cached }
            if !missing.isEmpty {
                throw ChainError.offlineMiss(
                    missing.filter { $0.state == .regenerate }, pending: missing.filter { $0.state == .pending })
            }
            let inputs = clips.map { $0.output! }
            let request = GenerationRequest(
                backend: FFmpegClipGenerator.backend, model: FFmpegClipGenerator.concatModel, params: [:],
                prompt: "", inputs: inputs, take: 1)
            if let hit = try store.cachedOutput(for: request.key) {
                try store.copy(hit.output, toFileAt: out)
                return (hit.output, true)
            }
            // Every clip is verified against its digest before ffmpeg reads it from the store.
            for digest in inputs {
                guard try FileHasher.hash(fileAt: store.path(of: digest)).digest == digest else {
                    throw StoreError(
                        code: .integrity, message: "blob \(digest) is corrupt: its bytes do not match its digest")
                }
            }
            let joined = FileManager.default.temporaryDirectory
                .appendingPathComponent("framechain-video-\(UUID().uuidString).mp4").path
            defer { try? FileManager.default.removeItem(atPath: joined) }
            let clock = ContinuousClock()
            let started = clock.now
            do {
                try await FFmpegClipGenerator.concatenate(
                    inputs.map { store.path(of: $0) }, into: joined, program: ffmpeg)
            } catch let error as GeneratorError {
                // ffmpeg missing or failing is a runtime failure (exit 1), not bad input.
                throw ExportVideoFailure(message: "ffmpeg could not join the clips: \(error.message)")
            }
            let elapsed = clock.now - started
            let (digest, output) = try store.commit(generatedFileAt: joined) { digest in
                GenerationRecord(
                    key: request.key, request: request.canonicalText, output: digest, backend: request.backend,
                    model: request.model, createdAt: Timestamp.now(),
                    durationMilliseconds: Int(elapsed.components.seconds * 1000), inputs: inputs)
            }
            _ = digest
            try store.copy(output, toFileAt: out)
            return (output, false)
        }
        StandardStream.output.writeLine("\(out): \(digest) (\(cached ? "cached" : "joined"))")
    }
}

/// ffmpeg could not join the clips (missing, or it failed): exit status 1.
struct ExportVideoFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
