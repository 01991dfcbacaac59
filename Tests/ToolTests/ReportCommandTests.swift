import Foundation
import Testing

@Suite struct ReportCommandTests {
    /// A strict check in Python's html.parser: every non-void tag closes in order; prints each image's
    /// `data-digest` and the SHA-256 of its decoded `data:` URI, and every text node.
    static let checker = #"""
        import sys, html.parser, base64, hashlib, json
        VOID = {"meta", "img", "br", "hr", "link", "input"}
        class Checker(html.parser.HTMLParser):
            def __init__(self):
                super().__init__(convert_charrefs=True)
                self.stack, self.images, self.text, self.errors = [], [], [], []
            def handle_starttag(self, tag, attrs):
                if tag == "script": self.errors.append("script element")
                if tag == "img":
                    a = dict(attrs)
                    data = base64.b64decode(a["src"].split(",", 1)[1])
                    self.images.append([a.get("data-digest"), "sha256:" + hashlib.sha256(data).hexdigest()])
                if tag not in VOID: self.stack.append(tag)
            def handle_startendtag(self, tag, attrs):
                self.handle_starttag(tag, attrs)
                if tag not in VOID: self.stack.pop()
            def handle_endtag(self, tag):
                if not self.stack or self.stack[-1] != tag: self.errors.append("unbalanced </%s>" % tag)
                else: self.stack.pop()
            def handle_data(self, data):
                if data.strip(): self.text.append(data)
        c = Checker()
        c.feed(open(sys.argv[1], encoding="utf-8").read()); c.close()
        if c.stack: c.errors.append("unclosed " + ",".join(c.stack))
        print(json.dumps({"errors": c.errors, "images": c.images, "text": c.text}))
        """#

    @Test func aReportIntoAMissingDirectoryIsInvalidInput() throws {
        let workspace = try AuditWorkspace()
        try workspace.succeed(["run", try workspace.writePlan(scenes: 1)])
        let page = workspace.root + "/nowhere/report.html"
        let result = try workspace.framechain(["report", "latest", "--out", page])
        #expect(result.status == 2)
        #expect(result.error == "Error: --out \(page): the directory \(workspace.root)/nowhere does not exist\n")
    }

    @Test func reportIsWellFormedShowsEveryImageAndEscapesUserText() throws {
        let workspace = try AuditWorkspace()
        let hostile = "<script>alert('x')</script> & \"quotes\""
        let plan = try workspace.writePlan(
            scenes: 3, prompt: { scene, role in scene == 2 && role == "end" ? hostile : "\(role) of scene \(scene)" })
        let run = try workspace.json(["run", plan])
        let outputs = Set((run["links"] as? [[String: Any]] ?? []).compactMap { $0["output"] as? String })
        #expect(outputs.count == 9)
        let page = workspace.root + "/report.html"
        try workspace.succeed(["report", "latest", "--out", page])
        let html = String(decoding: try AuditWorkspace.read(page), as: UTF8.self)
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"))

        try AuditWorkspace.write(Array(Self.checker.utf8), to: workspace.root + "/check.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", workspace.root + "/check.py", page]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(result["errors"] as? [String] == [])
        let images = try #require(result["images"] as? [[String]])
        #expect(images.count == 9)
        #expect(images.allSatisfy { $0[0] == $0[1] })
        #expect(Set(images.map { $0[0] }) == outputs)
        // The hostile prompt comes back as text, once decoded.
        #expect((result["text"] as? [String])?.contains { $0.contains(hostile) } == true)
    }
}
