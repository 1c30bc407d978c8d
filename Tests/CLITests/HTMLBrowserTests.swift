import Foundation
import Testing

/// Debian's chromium, installed by `scripts/setup.sh --browser` (scripts/test.sh asks for it).
let chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Loads a page in headless Chromium with networking disabled (a dead proxy, every host
/// unresolvable, background services off), records Chromium's NetLog, and returns the DOM after
/// the page's scripts ran together with the URLs the page itself asked for.
///
/// Page requests are told from the browser's own background traffic (update checks and the
/// like, which the flags cannot all silence) by the network traffic annotation Blink's resource
/// loader gives every request a page makes; `theDetectorSeesALeakingPage` proves, with the
/// installed Chromium, that a page that does make requests is caught this way.
func loadInChromium(_ page: URL, in folder: URL) throws -> (dom: String, pageRequests: [String]) {
    let netLog = folder.appendingPathComponent("netlog-\(UUID().uuidString).json")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: chromiumPath!)
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                         "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
                         "--log-net-log=\(netLog.path)", "--dump-dom", page.absoluteString]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let log = (try? String(contentsOf: netLog, encoding: .utf8)) ?? ""
    // {"priority":…,"traffic_annotation":101845102,"url":"…"}: one per request a page starts.
    let pattern = try NSRegularExpression(pattern: #""traffic_annotation":101845102,"url":"([^"]*)""#)
    let requests = pattern.matches(in: log, range: NSRange(log.startIndex..., in: log)).compactMap {
        Range($0.range(at: 1), in: log).map { String(log[$0]) }
    }
    return (dom, requests.filter { !$0.hasPrefix("file:") })
}

/// What the injected script measured, written into `<pre id="test-result">` as JSON.
struct PageProbe: Decodable {
    let queryTokens: Int
    let keyTokens: Int
    let swatches: Int
    let thumbnails: Int
    let linesBefore: Int
    let linesDuringHover: Int
    let queriesDuringHover: [String]
    let maskedKeys: Int
    let linesAfterHover: Int
    let linesWithoutHead1: Int
    let enlarged: Bool
    let neuronResult: String
    let resources: Int
    let violations: Int
}

/// Drives the page as a reader would (hover a token, click a swatch, click a thumbnail) and
/// records what is visible; appended to a copy of the page, never to what `tx` writes.
let pageProbeScript = #"""
<script>
"use strict";
(function () {
  let violations = 0;
  document.addEventListener("securitypolicyviolation", () => violations++);
  const lines = () => [...document.querySelectorAll("#head-view line.attn")].filter(l => !l.classList.contains("hidden"));
  const r = {};
  r.queryTokens = document.querySelectorAll("#head-view text.token.query").length;
  r.keyTokens = document.querySelectorAll("#head-view text.token.key").length;
  r.swatches = document.querySelectorAll("#head-view .swatch").length;
  r.thumbnails = document.querySelectorAll("#model-grid canvas.thumbnail").length;
  r.linesBefore = lines().length;
  const query = document.querySelector('#head-view text.token.query[data-index="2"]');
  query.dispatchEvent(new MouseEvent("mouseenter"));
  r.linesDuringHover = lines().length;
  r.queriesDuringHover = [...new Set(lines().map(l => l.dataset.query))];
  r.maskedKeys = document.querySelectorAll("#head-view text.token.key.masked").length;
  query.dispatchEvent(new MouseEvent("mouseleave"));
  r.linesAfterHover = lines().length;
  document.querySelector('#head-view .swatch[data-head="0"]').click();
  r.linesWithoutHead1 = lines().length;
  document.querySelector("#model-grid canvas.thumbnail").click();
  r.enlarged = !!document.getElementById("enlarged-canvas");
  r.neuronResult = (document.getElementById("neuron-result") || document.getElementById("no-qk")).textContent;
  r.resources = performance.getEntriesByType("resource").length;
  r.violations = violations;
  const pre = document.createElement("pre");
  pre.id = "test-result";
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>
"""#

@Suite("tx attention --html in a real headless browser", .enabled(if: chromiumPath != nil))
struct HTMLBrowserTests {
    func probe(_ tx: TX, page: String) throws -> (PageProbe, [String]) {
        let original = try #require(tx.data(page))
        let html = String(decoding: original, as: UTF8.self)
        let probed = html.replacingOccurrences(of: "</body>", with: pageProbeScript + "\n</body>")
        let copy = tx.directory.appendingPathComponent("probed-" + page)
        try Data(probed.utf8).write(to: copy)
        let (dom, requests) = try loadInChromium(copy, in: tx.directory)
        let start = try #require(dom.range(of: "<pre id=\"test-result\">"))
        let end = try #require(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
        let json = String(dom[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        return (try JSONDecoder().decode(PageProbe.self, from: Data(json.utf8)), requests)
    }

    @Test func theDetectorSeesALeakingPage() throws {
        let tx = try TX()
        let leak = tx.directory.appendingPathComponent("leak.html")
        try Data(#"<html><body><img src="http://leak.example/x.png"><script>fetch("http://leak.example/y")</script></body></html>"#.utf8)
            .write(to: leak)
        let (_, requests) = try loadInChromium(leak, in: tx.directory)
        #expect(requests.contains("http://leak.example/x.png"))
    }

    @Test func headAndModelViewsOfACausalModel() throws {
        let tx = try TX()
        // "The cat sat on the mat": 6 tokens, an untrained 2-layer, 4-head decoder.
        let result = try tx.run(["attention", "--arch", "decoder", "--weights", "random", "--text", "The cat sat on the mat",
                                 "--out", "d.png", "--html", "d.html"])
        #expect(result.status == 0, "\(result.stderr)")
        let (page, requests) = try probe(tx, page: "d.html")
        #expect(requests.isEmpty, "the page asked for \(requests)")
        #expect(page.resources == 0 && page.violations == 0)
        #expect(page.queryTokens == 6 && page.keyTokens == 6)
        #expect(page.swatches == 4)
        #expect(page.thumbnails == 8)
        // Hovering query 2 keeps only its lines: it sees keys 0…2 (causal), so at most 4 × 3,
        // and keys 3…5 are struck through as masked.
        #expect(page.linesBefore > page.linesDuringHover)
        #expect(page.linesDuringHover > 0 && page.linesDuringHover <= 12)
        #expect(page.queriesDuringHover == ["2"])
        #expect(page.maskedKeys == 3)
        #expect(page.linesAfterHover == page.linesBefore)
        #expect(page.linesWithoutHead1 < page.linesBefore)
        #expect(page.enlarged)
        #expect(page.neuronResult.contains("--with-qk"))
    }

    @Test func neuronViewOfOneHeadWithChineseTokens() throws {
        let tx = try TX()
        let result = try tx.run(["attention", "--text", "我是一个学生", "--causal", "--out", "h.png", "--html", "h.html",
                                 "--with-qk"])
        #expect(result.status == 0, "\(result.stderr)")
        let (page, requests) = try probe(tx, page: "h.html")
        #expect(requests.isEmpty)
        #expect(page.queryTokens == 6 && page.swatches == 1 && page.thumbnails == 1)
        // The neuron view recomputes the weight from q and k and shows the recorded one beside it.
        let numbers = page.neuronResult.split(whereSeparator: { !"0123456789.".contains($0) }).compactMap { Double($0) }
        #expect(page.neuronResult.contains("the model recorded"), "\(page.neuronResult)")
        #expect(numbers.count >= 2 && abs(numbers[numbers.count - 1] - numbers[numbers.count - 2]) < 1e-3)
        let html = String(decoding: try #require(tx.data("h.html")), as: UTF8.self)
        #expect(html.contains("我") && html.contains("\"queries\""))
    }
}
