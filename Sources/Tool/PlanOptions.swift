import ArgumentParser
import Backends
import Chain
import Foundation
import Store

/// The plan argument and `--take` overrides shared by `run` and `status`.
struct PlanOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The plan file (framechain.plan/v1 JSON).", valueName: "plan"))
    var plan: String

    @Option(
        name: .customLong("take"),
        help: ArgumentHelp(
            "Override a link's take, e.g. --take start/2=3 (repeatable).", valueName: "node=n"))
    var takes: [String] = []

    func validate() throws {
        _ = try parsedTakes()
    }

    /// The `--take` overrides, parsed.
    func parsedTakes() throws -> [NodeID: Int] {
        var result: [NodeID: Int] = [:]
        for text in takes {
            let parts = text.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let node = NodeID(parsing: parts[0]), let take = Int(parts[1]), take >= 1 else {
                throw ValidationError(
                    "--take \(text): expected NODE=N with NODE like ref/1, start/2, end/3 or clip/4 and N a whole "
                        + "number >= 1.")
            }
            result[node] = take
        }
        return result
    }

    /// Loads and validates the plan (and checks its initial reference image).
    func load() throws -> LoadedPlan {
        try PlanLoader.load(contentsOf: plan)
    }
}

/// Builds the generator a plan names, wrapped in the retry policy of its options.
enum Generators {
    /// The generator for `loaded`'s `generator` object; a bad backend, model or option is a plan error naming the
    /// file and `generator`.
    static func make(for loaded: LoadedPlan) throws -> any Generator {
        if loaded.plan.generator.backend == FFmpegClipGenerator.backend {
            throw PlanError(
                file: loaded.path, path: "generator.backend",
                message: "the ffmpeg backend makes clips from two frames; name it in clips.generator")
        }
        do {
            return RetryingGenerator(
                wrapping: try GeneratorFactory.make(
                    spec: loaded.plan.generator, environment: ProcessInfo.processInfo.environment))
        } catch {
            throw PlanError(file: loaded.path, path: "generator", message: error.message)
        }
    }

    /// The generator for `loaded`'s `clips.generator`, or `nil` when the plan has no clip stage; a bad backend, model
    /// or option is a plan error naming the file and `clips.generator`.
    static func makeClip(for loaded: LoadedPlan) throws -> (any Generator)? {
        guard let clips = loaded.plan.clips else { return nil }
        if !["ffmpeg", "replicate"].contains(clips.generator.backend) {
            throw PlanError(
                file: loaded.path, path: "clips.generator.backend",
                message: "the \(clips.generator.backend) backend makes images, not clips (use ffmpeg or replicate)")
        }
        do {
            return RetryingGenerator(
                wrapping: try GeneratorFactory.makeClip(
                    spec: clips.generator, environment: ProcessInfo.processInfo.environment))
        } catch {
            throw PlanError(file: loaded.path, path: "clips.generator", message: error.message)
        }
    }

    /// Fails before anything is recorded when the plan's backend needs an API token that the environment does
    /// not have and some link would have to be generated (a fully cached run needs no token).
    static func requireToken(for loaded: LoadedPlan, runner: ChainRunner, takes: [NodeID: Int]) async throws {
        func variable(of backend: String) -> String? {
            switch backend {
            case "replicate": ReplicateGenerator.tokenVariable
            case "openai": OpenAIGenerator.tokenVariable
            default: nil
            }
        }
        // The frames' generator, then the clips' (`clips.generator`), each checked against its own links.
        var stages: [(spec: GeneratorSpec, path: String, isClip: Bool)] = [(loaded.plan.generator, "generator", false)]
        if let clips = loaded.plan.clips { stages.append((clips.generator, "clips.generator", true)) }
        var misses: [LinkStatus]?
        for stage in stages {
            guard let variable = variable(of: stage.spec.backend),
                ProcessInfo.processInfo.environment[variable, default: ""].isEmpty
            else { continue }
            if misses == nil { misses = try await runner.status(of: loaded, takes: takes).misses }
            let needed = misses!.filter { ($0.node.role == .clip) == stage.isClip }
            guard let first = needed.first else { continue }
            throw PlanError(
                file: loaded.path, path: stage.path,
                message: "the \(stage.spec.backend) backend needs an API token to generate \(needed.count) "
                    + "link(s) (first \(first.node)): set \(variable) in the environment")
        }
    }
}

/// The `--out` directory, checked (and created) before anything is generated.
enum OutputDirectory {
    /// Creates `path` (and its parents) if needed and checks it is a writable directory; with `create` false a
    /// missing directory is left to be created when the outputs are written (an offline run that misses writes
    /// nothing).
    ///
    /// - Throws: ``StoreError`` `invalidInput` naming the path when it is a file or cannot be written.
    static func prepare(_ path: String, create: Bool = true) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StoreError(code: .invalidInput, message: "--out \(path): exists and is not a directory")
            }
        } else if !create {
            return
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw StoreError(code: .invalidInput, message: "--out \(path): cannot create the directory")
            }
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw StoreError(code: .invalidInput, message: "--out \(path): the directory is not writable")
        }
    }
}
