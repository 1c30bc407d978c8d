import Foundation
import Testing
@testable import InteractiveViews
import Transformer

@Suite struct AttentionPageTests {
    @Test func scriptTextCannotCloseTheScriptElement() throws {
        var trace = AttentionTrace(architecture: "encoder-only")
        try trace.record(weights: try .init(shape: [1, 2, 2], scalars: [1, 0, 0.5, 0.5]), layer: 0, kind: .encoderSelf,
                         queryTokens: ["</script><b>", "我\u{2028}"], keyTokens: ["</script><b>", "我\u{2028}"])
        let page = try AttentionPage.html(trace: trace, title: "a <title> & \"quotes\"")
        #expect(page.components(separatedBy: "</script>").count == 3)   // only the two real closing tags
        #expect(page.contains("<title>a &lt;title&gt; &amp; &quot;quotes&quot;</title>"))
        #expect(page.contains(#"\u003c/script\u003e\u003cb\u003e"#))
        #expect(page.contains("我\\u2028"))
        // The embedded JSON reads back as the same trace.
        let start = try #require(page.range(of: #"<script type="application/json" id="trace-data">"#))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = String(page[start.upperBound..<end.lowerBound])
        #expect(try AttentionTrace(jsonData: Data(json.utf8)) == trace)
    }

    @Test func nothingOnThePageCanReachTheNetwork() throws {
        var trace = AttentionTrace(architecture: "encoder-only")
        try trace.record(weights: try .init(shape: [1, 1, 1], scalars: [1]), layer: 0, kind: .encoderSelf,
                         queryTokens: ["a"], keyTokens: ["a"])
        let page = try AttentionPage.html(trace: trace, title: "t")
        #expect(page.contains("default-src 'none'"))
        for pattern in ["https://", "src=", "url(", "@import", "fetch(", "XMLHttpRequest"] {
            #expect(!page.contains(pattern), "the page contains \(pattern)")
        }
        #expect(AttentionPage.escapeHTML("a\u{1B}[31mb") == "a\\u{1b}[31mb")
    }
}
