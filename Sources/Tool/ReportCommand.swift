import ArgumentParser
import Chain
import Foundation
import Store

/// `framechain report RUN --out FILE.html`: one self-contained HTML page of a run.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page showing a run's three chains as rows of thumbnails.",
        discussion: """
            Images are embedded as data: URIs (each verified against its digest); per image the page shows its \
            node, outcome, key and prompt, all HTML-escaped. The page has no script and loads nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The run: an id, a unique prefix, or latest.", valueName: "run"))
    var runReference: String

    @Option(name: .customLong("out"), help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var out: String

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must not be empty.") }
    }

    func run() async throws {
        try await ExitStatus.reportingErrors {
            let store = try global.openExistingStore()
            let run = try store.resolveRun(runReference)
            let replay = try RunReplayer(store: store).replay(run, to: nil)
            if let link = replay.missing.first {
                throw StoreError(
                    code: .notFound, message: "\(link.node)'s output \(link.output!) is missing from the store")
            }
            let html = try HTMLReport.render(run: run, links: replay.links, store: store)
            let parent = URL(fileURLWithPath: out).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw StoreError(code: .invalidInput, message: "--out \(out): the directory \(parent) does not exist")
            }
            do {
                try Data(html.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw StoreError(code: .io, message: "\(out): cannot write: \(error.localizedDescription)")
            }
            global.inform("wrote \(out) (\(replay.links.count) links)")
        }
    }
}
