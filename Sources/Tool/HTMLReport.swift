import Chain
import Foundation
import Store

/// Renders one run as a self-contained HTML page: the three chains as rows of thumbnails in scene order, arrows
/// between linked images, and per image its node, outcome, key and prompt.
///
/// Images are embedded as `data:` URIs; every piece of user text is HTML-escaped; the page has no script.
enum HTMLReport {
    /// The page for `run`, whose links `replay` has verified.
    static func render(run: RunRecord, links: [RunLink], store: Store) throws -> String {
        let scenes = links.map(\.node.scene).max() ?? 0
        var byNode: [NodeID: RunLink] = [:]
        for link in links { byNode[link.node] = link }
        let costs = try store.costs(ofRun: run.id)
        let linkCosts = try store.linkCosts(ofRun: run.id)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <title>framechain run \(escape(run.id)) · \(escape(run.planName))</title>
            <style>
            body { font-family: -apple-system, Helvetica, Arial, sans-serif; margin: 24px; color: #1d1d1f; background: #fafafa; }
            h1 { font-size: 20px; margin: 0 0 4px 0; }
            .meta { color: #666; font-size: 13px; margin-bottom: 20px; }
            .chain { display: flex; align-items: flex-start; margin-bottom: 28px; }
            .label { width: 70px; flex: none; font-weight: 600; padding-top: 60px; }
            .from { font-size: 11px; color: #888; font-weight: normal; display: block; }
            .cells { display: flex; align-items: flex-start; overflow-x: auto; }
            .arrow { flex: none; width: 28px; text-align: center; font-size: 22px; color: #999; padding-top: 56px; }
            .cell { flex: none; width: 180px; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px; }
            .cell img, .cell video { width: 168px; height: 168px; object-fit: contain; background: #eee; display: block; }
            .empty { width: 168px; height: 168px; background: repeating-linear-gradient(45deg, #eee, #eee 8px, #f6f6f6 8px, #f6f6f6 16px); display: flex; align-items: center; justify-content: center; color: #999; font-size: 12px; }
            .node { font-weight: 600; font-size: 13px; margin-top: 4px; }
            .outcome { font-size: 11px; border-radius: 3px; padding: 1px 5px; margin-left: 4px; color: #fff; }
            .hit { background: #2e7d32; } .generated { background: #1565c0; } .failed { background: #c62828; } .skipped { background: #757575; }
            .cost { font-size: 11px; color: #1d1d1f; font-weight: 600; }
            .key { font-family: Menlo, monospace; font-size: 10px; color: #555; word-break: break-all; }
            .prompt { font-size: 11px; color: #333; max-height: 90px; overflow-y: auto; margin-top: 3px; }
            </style>
            </head>
            <body>
            <h1>\(escape(run.planName))</h1>
            <div class="meta">run \(escape(run.id)) · \(escape(run.effectiveStatus.rawValue)) · started \(escape(run.startedAt)) · \(links.count) links\(costs.spent > 0 || costs.saved > 0 ? " · <span class=\"totals\">spent \(CostEstimate.format(costs.spent)) · saved \(CostEstimate.format(costs.saved))</span>" : "")</div>

            """
        let hasClips = byNode.keys.contains { $0.role == .clip }
        for role in hasClips ? Role.allCases : Role.frames {
            html += "<div class=\"chain\" id=\"chain-\(role.nodePrefix)\">\n"
            html += "<div class=\"label\">\(role.nodePrefix)"
            if role == .clip {
                html += "<span class=\"from\">↳ from start/i and end/i</span>"
            } else if role != .reference {
                html += "<span class=\"from\">↳ from ref/1</span>"
            }
            html += "</div>\n<div class=\"cells\">\n"
            for scene in 1...max(1, scenes) {
                let node = NodeID(role: role, scene: scene)
                if role == .clip, byNode[node] == nil { continue }
                if scene > 1 { html += "<div class=\"arrow\">→</div>\n" }
                html += try cell(node: node, link: byNode[node], cost: linkCosts[node.description], store: store)
            }
            html += "</div>\n</div>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    private static func cell(node: NodeID, link: RunLink?, cost: Double?, store: Store) throws -> String {
        var html = "<div class=\"cell\" id=\"\(escape(node.description))\">\n"
        if let link, let output = link.output {
            let bytes = try store.contents(of: output)
            let mediaType = MediaType.recognize(bytes) ?? .png
            if mediaType == .mp4 {
                // A clip plays in place, beside the start and end frames in the rows above.
                html += "<video controls muted loop playsinline preload=\"auto\" data-digest=\"\(output)\" "
                html += "src=\"data:video/mp4;base64,\(Data(bytes).base64EncodedString())\"></video>\n"
            } else {
                html += "<img alt=\"\(escape(node.description))\" data-digest=\"\(output)\" "
                html += "src=\"data:\(mediaType.mimeType);base64,\(Data(bytes).base64EncodedString())\" />\n"
            }
        } else {
            html += "<div class=\"empty\">no image</div>\n"
        }
        let outcome = link?.outcome.rawValue ?? "absent"
        html +=
            "<div class=\"node\">\(escape(node.description))<span class=\"outcome \(outcome)\">\(outcome)</span></div>\n"
        if let cost, let outcome = link?.outcome, outcome == .generated || outcome == .hit {
            let label = outcome == .hit ? "saved" : "cost"
            html += "<div class=\"cost\">\(label) \(CostEstimate.format(cost))</div>\n"
        }
        if let key = link?.key { html += "<div class=\"key\" title=\"key\">\(escape(key.description))</div>\n" }
        if let reason = link?.reason { html += "<div class=\"key\">\(escape(reason))</div>\n" }
        if let error = link?.error { html += "<div class=\"key\">\(escape(error))</div>\n" }
        if let prompt = link?.prompt { html += "<div class=\"prompt\">\(escape(prompt))</div>\n" }
        return html + "</div>\n"
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
