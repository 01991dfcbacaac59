import Formats
import Foundation
import FrameChainTestKit
import Testing

@testable import Store

/// The clip stage end to end, on `fixtures/plans/perfume-ad-video.json` and the offline ffmpeg clip generator.
@Suite(.serialized) struct ClipRunTests {
    static let clipParams = #""params": { "duration": 2, "fps": 12, "width": 288, "height": 512 }"#

    /// Copies the video example into `directory` (`plans/video.json`, `images/bottle.png`), with `edit` applied to
    /// its text; returns the plan's path.
    private func writePlan(in directory: String, edit: (String) -> String = { $0 }) throws -> String {
        let text = String(decoding: try readFile(fixturesDirectory() + "/plans/perfume-ad-video.json"), as: UTF8.self)
        let edited = edit(text)
        try FileManager.default.createDirectory(atPath: directory + "/plans", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/images", withIntermediateDirectories: true)
        try writeFile(directory + "/plans/video.json", Array(edited.utf8))
        try writeFile(directory + "/images/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
        return directory + "/plans/video.json"
    }

    private func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    private func links(_ result: ProcessResult) throws -> [String: [String: Any]] {
        let list = try json(result.output)["links"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["node"] as? String ?? "", $0) })
    }

    private func nodes(_ links: [String: [String: Any]], key: String, equal value: String) -> Set<String> {
        Set(links.filter { $0.value[key] as? String == value }.keys)
    }

    /// Frame `index` of an MP4, decoded (ffmpeg writes it as an RGB PNG).
    private func frame(_ index: Int, of video: String, scratch: String) throws -> RasterImage {
        let png = scratch + "/frame-\(index).png"
        let result = try ExternalTools.run(
            "ffmpeg",
            [
                "-v", "error", "-y", "-i", video, "-vf", "select=eq(n\\,\(index))", "-frames:v", "1", "-pix_fmt",
                "rgb24", png,
            ])
        #expect(result.status == 0)
        return try PNGDecoder.decode(try readFile(png))
    }

    @Test(.enabled(if: ExternalTools.available("ffmpeg", "ffprobe"), "ffmpeg is not installed"))
    func theVideoExampleMakesTwelveFramesAndFourClipsThenOnlyHits() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let plan = try writePlan(in: dir)
            let cold = try runFramechain(
                ["run", plan, "--store", store, "--out", dir + "/out", "--json"], scratch: dir)
            #expect(cold.status == 0, "\(cold.error)")
            let coldLinks = try links(cold)
            #expect(coldLinks.count == 16)
            #expect(nodes(coldLinks, key: "outcome", equal: "generated").count == 16)
            #expect(coldLinks.keys.filter { $0.hasPrefix("clip/") }.count == 4)

            // A rerun is 16 hits: the clip generator is not even runnable any more, and is never called.
            let broken = try writePlan(in: dir + "/broken") {
                $0.replacingOccurrences(
                    of: Self.clipParams, with: Self.clipParams + #", "options": { "ffmpeg": "/nonexistent/ffmpeg" }"#)
            }
            let warm = try runFramechain(["run", broken, "--store", store, "--json"], scratch: dir)
            #expect(warm.status == 0, "\(warm.error)")
            #expect(nodes(try links(warm), key: "outcome", equal: "hit").count == 16)

            for scene in 1...4 {
                let clip = dir + "/out/clip_0\(scene).mp4"
                let clipBytes = try readFile(clip)
                #expect(MediaType.recognize(clipBytes) == .mp4)
                #expect(coldLinks["clip/\(scene)"]?["output"] as? String == SHA256.hash(data: clipBytes).description)
                // ffprobe: one H.264 video stream of the declared size, 2 s at 12 fps (±1 frame).
                let probe = try ExternalTools.run(
                    "ffprobe",
                    [
                        "-v", "error", "-select_streams", "v", "-count_frames", "-show_entries",
                        "stream=codec_type,codec_name,width,height,nb_read_frames:format=duration", "-of", "json", clip,
                    ])
                #expect(probe.status == 0)
                let document = try json(probe.output)
                let stream = try #require((document["streams"] as? [[String: Any]])?.first)
                #expect(stream["codec_type"] as? String == "video")
                #expect(stream["codec_name"] as? String == "h264")
                #expect(stream["width"] as? Int == 288 && stream["height"] as? Int == 512)
                let frames = Int(stream["nb_read_frames"] as? String ?? "") ?? 0
                #expect(abs(frames - 24) <= 1, "\(frames) frames")
                let duration = Double((document["format"] as? [String: Any])?["duration"] as? String ?? "") ?? 0
                #expect(abs(duration - 2) <= 1.0 / 12 + 1e-6, "duration \(duration)")

                // The first frame is the start frame and the last the end frame (H.264 at CRF 20: a small error).
                let start = try PNGDecoder.decode(try readFile(dir + "/out/start_0\(scene).png"))
                let end = try PNGDecoder.decode(try readFile(dir + "/out/end_0\(scene).png"))
                let first = try frame(0, of: clip, scratch: dir)
                let last = try frame(frames - 1, of: clip, scratch: dir)
                let startToFirst = TestSupport.meanDistance(start, first)
                let endToLast = TestSupport.meanDistance(end, last)
                let startToEnd = TestSupport.meanDistance(start, end)
                #expect(startToFirst < 4, "start/\(scene) vs the first frame: \(startToFirst)")
                #expect(endToLast < 4, "end/\(scene) vs the last frame: \(endToLast)")
                // And the clip moves: its ends differ as much as the two frames do.
                #expect(TestSupport.meanDistance(first, last) > startToEnd / 2, "clip/\(scene) does not move")
            }

            // The same request gives the same bytes (ffmpeg runs with one thread and bitexact flags).
            let again = try runFramechain(
                ["run", plan, "--store", dir + "/store2", "--out", dir + "/out2", "--json"], scratch: dir)
            #expect(again.status == 0, "\(again.error)")
            for scene in 1...4 {
                #expect(try readFile(dir + "/out2/clip_0\(scene).mp4") == readFile(dir + "/out/clip_0\(scene).mp4"))
            }

            // Lineage, verify, replay, export/import and gc treat clips like any link.
            let lineage = try runFramechain(
                ["lineage", "latest:clip/2", "--format", "json", "--store", store], scratch: dir)
            #expect(lineage.status == 0, "\(lineage.error)")
            let chain = try json(lineage.output)["chain"] as? [[String: Any]] ?? []
            #expect(chain.compactMap { $0["node"] as? String } == ["clip/2", "start/2", "start/1", "ref/1", "initial"])
            #expect((chain.first?["inputs"] as? [String])?.count == 2)
            let verify = try runFramechain(["verify", "--json", "--store", store], scratch: dir)
            let verified = try json(verify.output)["ok"] as? Bool
            #expect(verify.status == 0 && verified == true, "\(verify.outputText)")
            let replay = try runFramechain(
                ["replay", "latest", "--out", dir + "/replayed", "--store", store], scratch: dir)
            #expect(replay.status == 0, "\(replay.error)")
            #expect(try readFile(dir + "/replayed/clip_03.mp4") == readFile(dir + "/out/clip_03.mp4"))
            let export = try runFramechain(
                ["export", "latest", "--to", dir + "/run.bundle", "--store", store], scratch: dir)
            #expect(export.status == 0, "\(export.error)")
            let imported = try runFramechain(["import", dir + "/run.bundle", "--store", dir + "/store3"], scratch: dir)
            #expect(imported.status == 0, "\(imported.error)")
            let fromBundle = try runFramechain(
                ["run", plan, "--store", dir + "/store3", "--offline", "--json"], scratch: dir)
            #expect(fromBundle.status == 0, "\(fromBundle.error)")
            #expect(nodes(try links(fromBundle), key: "outcome", equal: "hit").count == 16)
            let gc = try runFramechain(["gc", "--store", store], scratch: dir)
            #expect(gc.status == 0, "\(gc.error)")
            let afterGC = try runFramechain(["run", plan, "--store", store, "--offline", "--json"], scratch: dir)
            #expect(afterGC.status == 0, "gc kept every clip: \(afterGC.error)")
        }
    }

    @Test(.enabled(if: ExternalTools.available("ffmpeg"), "ffmpeg is not installed"))
    func editsRegenerateExactlyTheClipsWhoseFramesOrMotionChanged() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let cold = try runFramechain(["run", try writePlan(in: dir), "--store", store, "--json"], scratch: dir)
            #expect(cold.status == 0, "\(cold.error)")

            // Editing start prompt 3: start/3 and start/4 regenerate, and the clips of scenes 3 and 4 after them.
            let startEdited = try writePlan(in: dir) {
                $0.replacingOccurrences(
                    of: "closing gently around the bottle.", with: "closing firmly around the bottle.")
            }
            let status = try runFramechain(["status", startEdited, "--store", store, "--json"], scratch: dir)
            #expect(status.status == 0, "\(status.error)")
            let predicted = try links(status)
            #expect(nodes(predicted, key: "state", equal: "regenerate") == ["start/3"])
            #expect(nodes(predicted, key: "state", equal: "pending") == ["start/4", "clip/3", "clip/4"])
            #expect(predicted["clip/3"]?["reason"] as? String == "waits on start/3 (prompt changed)")
            let edited = try runFramechain(["run", startEdited, "--store", store, "--json"], scratch: dir)
            #expect(edited.status == 0, "\(edited.error)")
            let editedLinks = try links(edited)
            #expect(
                nodes(editedLinks, key: "outcome", equal: "generated") == ["start/3", "start/4", "clip/3", "clip/4"])
            #expect(nodes(editedLinks, key: "outcome", equal: "hit").count == 12)
            #expect(editedLinks["clip/3"]?["reason"] as? String == "reference changed (start/3 regenerated)")

            // Editing scene 2's motion prompt: only clip/2.
            let motionEdited = try writePlan(in: dir) {
                $0.replacingOccurrences(of: "camera drifts to the right.", with: "camera drifts to the left.")
                    .replacingOccurrences(
                        of: "closing gently around the bottle.", with: "closing firmly around the bottle.")
            }
            let motion = try runFramechain(["run", motionEdited, "--store", store, "--json"], scratch: dir)
            #expect(motion.status == 0, "\(motion.error)")
            let motionLinks = try links(motion)
            #expect(nodes(motionLinks, key: "outcome", equal: "generated") == ["clip/2"])
            #expect(motionLinks["clip/2"]?["reason"] as? String == "prompt changed")
        }
    }

    @Test func aMissingFFmpegFailsOnlyTheClipsAndSaysHowToInstallIt() throws {
        try withTemporaryDirectory { dir in
            let plan = try writePlan(in: dir) {
                $0.replacingOccurrences(
                    of: Self.clipParams, with: Self.clipParams + #", "options": { "ffmpeg": "/nonexistent/ffmpeg" }"#)
            }
            let result = try runFramechain(["run", plan, "--store", dir + "/store", "--json"], scratch: dir)
            #expect(result.status == 1)
            let runLinks = try links(result)
            #expect(nodes(runLinks, key: "outcome", equal: "generated").count == 12)
            #expect(nodes(runLinks, key: "outcome", equal: "failed") == ["clip/1", "clip/2", "clip/3", "clip/4"])
            let error = runLinks["clip/1"]?["error"] as? String ?? ""
            #expect(error.contains("/nonexistent/ffmpeg was not found"), "\(error)")
            #expect(error.contains("apt-get install ffmpeg"), "\(error)")
        }
    }

    @Test func framesAndClipsEachNeedTheirKindOfGenerator() throws {
        try withTemporaryDirectory { dir in
            let clipsOnProcedural = try writePlan(in: dir + "/a") {
                $0.replacingOccurrences(of: #""backend": "ffmpeg""#, with: #""backend": "procedural""#)
            }
            let first = try runFramechain(["status", clipsOnProcedural, "--store", dir + "/store"], scratch: dir)
            #expect(first.status == 2)
            #expect(
                first.error == "Error: \(clipsOnProcedural): clips.generator.backend: the procedural backend makes "
                    + "images, not clips (use ffmpeg or replicate)\n")
            let framesOnFFmpeg = try writePlan(in: dir + "/b") {
                $0.replacingOccurrences(of: #""backend": "procedural""#, with: #""backend": "ffmpeg""#)
            }
            let second = try runFramechain(["run", framesOnFFmpeg, "--store", dir + "/store"], scratch: dir)
            #expect(second.status == 2)
            #expect(
                second.error == "Error: \(framesOnFFmpeg): generator.backend: the ffmpeg backend makes clips from two "
                    + "frames; name it in clips.generator\n")
            #expect(!FileManager.default.fileExists(atPath: dir + "/store"), "a plan error leaves no store behind")
        }
    }

    @Test(.enabled(if: ExternalTools.available("ffmpeg", "ffprobe"), "ffmpeg is not installed"))
    func exportVideoJoinsTheClipsAndIsCachedLikeALink() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let plan = try writePlan(in: dir)
            #expect(try runFramechain(["run", plan, "--store", store], scratch: dir).status == 0)
            let first = try runFramechain(
                ["export-video", plan, "--out", dir + "/ad.mp4", "--store", store], scratch: dir)
            #expect(first.status == 0, "\(first.error)")
            #expect(first.outputText.hasSuffix("(joined)\n"))
            let probe = try ExternalTools.run(
                "ffprobe",
                [
                    "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,width,height,nb_read_frames",
                    "-of", "json", dir + "/ad.mp4",
                ])
            let stream = try #require((try json(probe.output)["streams"] as? [[String: Any]])?.first)
            #expect(stream["codec_name"] as? String == "h264" && stream["width"] as? Int == 288)
            #expect(stream["nb_read_frames"] as? String == "96", "four 24-frame clips")
            let again = try runFramechain(
                ["export-video", plan, "--out", dir + "/ad2.mp4", "--store", store], scratch: dir)
            #expect(again.outputText.hasSuffix("(cached)\n"), "\(again.outputText)")
            #expect(try readFile(dir + "/ad2.mp4") == readFile(dir + "/ad.mp4"))

            // An edited motion prompt: export-video refuses until the clip exists, then joins again.
            let edited = try writePlan(in: dir) {
                $0.replacingOccurrences(of: "camera drifts to the right.", with: "camera drifts to the left.")
            }
            let refused = try runFramechain(
                ["export-video", edited, "--out", dir + "/ad3.mp4", "--store", store], scratch: dir)
            #expect(refused.status == 3)
            #expect(refused.error.contains("clip/2: prompt changed"), "\(refused.error)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/ad3.mp4"))
            #expect(try runFramechain(["run", edited, "--store", store], scratch: dir).status == 0)
            // crossfade-v1 ignores the motion prompt: clip/2's new generation has the same bytes, so the joined video's
            // key is unchanged (early cutoff) and nothing is joined again.
            let unchanged = try runFramechain(
                ["export-video", edited, "--out", dir + "/ad3.mp4", "--store", store], scratch: dir)
            #expect(unchanged.outputText.hasSuffix("(cached)\n"), "\(unchanged.error)")
            // An edited start prompt changes clip/3 and clip/4: the video is joined again.
            let startEdited = try writePlan(in: dir) {
                $0.replacingOccurrences(
                    of: "closing gently around the bottle.", with: "closing firmly around the bottle.")
            }
            #expect(try runFramechain(["run", startEdited, "--store", store], scratch: dir).status == 0)
            let rejoined = try runFramechain(
                ["export-video", startEdited, "--out", dir + "/ad4.mp4", "--store", store], scratch: dir)
            #expect(rejoined.outputText.hasSuffix("(joined)\n"), "\(rejoined.error)")
            #expect(try readFile(dir + "/ad4.mp4") != readFile(dir + "/ad.mp4"))
            let verify = try runFramechain(["verify", "--store", store], scratch: dir)
            #expect(verify.status == 0, "\(verify.outputText)")
        }
    }

    /// The README's commands as printed: the default store, `.framechain`, is a relative path, and ffmpeg reads the
    /// clips from a list file in another directory.
    @Test(.enabled(if: ExternalTools.available("ffmpeg", "ffprobe"), "ffmpeg is not installed"))
    func exportVideoWorksWithTheDefaultRelativeStore() throws {
        try withTemporaryDirectory { dir in
            _ = try writePlan(in: dir)
            let run = try runFramechain(["run", "plans/video.json"], scratch: dir, workingDirectory: dir)
            #expect(run.status == 0, "\(run.error)")
            // A failing ffmpeg is a runtime failure: exit 1, and no file.
            let broken = try runFramechain(
                ["export-video", "plans/video.json", "--out", "broken.mp4", "--ffmpeg", "/bin/false"], scratch: dir,
                workingDirectory: dir)
            #expect(broken.status == 1, "\(broken.error)")
            #expect(broken.error.contains("ffmpeg could not join the clips"), "\(broken.error)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/broken.mp4"))
            let export = try runFramechain(
                ["export-video", "plans/video.json", "--out", "ad.mp4"], scratch: dir, workingDirectory: dir)
            #expect(export.status == 0, "\(export.error)")
            #expect(export.outputText.hasSuffix("(joined)\n"))
            #expect(try readFile(dir + "/ad.mp4").count > 1000)
        }
    }
}
