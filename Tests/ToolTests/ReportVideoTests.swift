import Foundation
import FrameChainTestKit
import Testing

/// The HTML report of a run with clips, opened in headless Chromium: every clip is a `<video>` that really decodes.
@Suite(.serialized) struct ReportVideoTests {
    /// Appended to a copy of the report (the report itself has no script): once every video has loaded its first
    /// frame or failed, writes each one's `readyState`, size, duration and error into `<pre id="probe">`.
    static let probe = """
        <script>
        window.addEventListener('load', () => {
          const videos = Array.from(document.querySelectorAll('video'));
          const report = () => {
            const pre = document.createElement('pre');
            pre.id = 'probe';
            pre.textContent = JSON.stringify(videos.map(v => ({
              node: v.closest('.cell').id, digest: v.dataset.digest, readyState: v.readyState,
              width: v.videoWidth, height: v.videoHeight, duration: v.duration, error: v.error && v.error.code })));
            document.body.appendChild(pre);
          };
          Promise.all(videos.map(v => new Promise(done => {
            if (v.readyState >= 2) { done(); return; }
            v.addEventListener('loadeddata', done);
            v.addEventListener('error', done);
          }))).then(report);
        });
        </script>
        """

    static var chromium: String? {
        ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { ExternalTools.path(of: $0) }.first
    }

    @Test(
        .enabled(
            if: ExternalTools.available("ffmpeg") && (chromium != nil || ExternalTools.isCI),
            "chromium is not installed"))
    func everyClipPlaysInTheReport() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let plan = fixturesDirectory() + "/plans/perfume-ad-video.json"
            let run = try runFramechain(["run", plan, "--store", store, "--json"], scratch: dir)
            #expect(run.status == 0, "\(run.error)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(run.output)) as? [String: Any])
            let clipOutputs = Dictionary(
                uniqueKeysWithValues: (document["links"] as? [[String: Any]] ?? []).compactMap { link in
                    (link["node"] as? String).flatMap {
                        $0.hasPrefix("clip/") ? ($0, link["output"] as? String ?? "") : nil
                    }
                })
            #expect(clipOutputs.count == 4)
            let report = try runFramechain(
                ["report", "latest", "--out", dir + "/report.html", "--store", store], scratch: dir)
            #expect(report.status == 0, "\(report.error)")
            let html = String(decoding: try readFile(dir + "/report.html"), as: UTF8.self)
            #expect(html.components(separatedBy: "<video ").count == 5)
            try writeFile(
                dir + "/probe.html", Array(html.replacingOccurrences(of: "</body>", with: Self.probe + "</body>").utf8))

            let browser = try #require(Self.chromium, "chromium is not installed (.ci/run installs it)")
            let result = try ExternalTools.run(
                browser,
                [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", "--dump-dom",
                    "file://" + dir + "/probe.html",
                ])
            #expect(result.status == 0)
            let dom = String(decoding: result.output, as: UTF8.self)
            let start = try #require(dom.range(of: "<pre id=\"probe\">"), "the probe never reported")
            let end = try #require(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
            let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
            let videos = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            #expect(videos.count == 4)
            for video in videos {
                let node = video["node"] as? String ?? "?"
                // HAVE_CURRENT_DATA or better: a frame was decoded.
                #expect((video["readyState"] as? Int ?? 0) >= 2, "\(node) did not decode: \(video)")
                #expect(video["width"] as? Int == 288 && video["height"] as? Int == 512, "\(node): \(video)")
                #expect(abs((video["duration"] as? Double ?? 0) - 2) < 0.1, "\(node): \(video)")
                #expect(video["digest"] as? String == clipOutputs[node], "\(node) shows its own clip")
            }
        }
    }
}
