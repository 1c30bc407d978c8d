import Foundation
import Testing
import Terminal

@Suite("Visible text: control characters from files and argv never reach the terminal raw")
struct VisibleTextTests {
    @Test(arguments: [
        ("plain words", "plain words"),
        ("我是一个学生 ✓ 🐱", "我是一个学生 ✓ 🐱"),
        ("\u{1B}]0;pwned\u{07}", "\\e]0;pwned\\u{7}"),             // set the window title
        ("\u{1B}[2J\u{1B}[H", "\\e[2J\\e[H"),                        // clear the screen, cursor home
        ("a\u{9B}31mb", "a\\u{9b}31mb"),                              // C1 CSI
        ("\u{7F}\u{80}\u{9F}\u{A0}", "\\u{7f}\\u{80}\\u{9f}\u{A0}"),  // DEL, C1 edges; NBSP is printable
        ("line\nbreak\ttab\rcr\0nul", "line\\nbreak\\ttab\\rcr\\0nul"),
        ("e\u{301}", "e\u{301}"),                                     // a combining mark stays
    ])
    func escapes(input: String, expected: String) {
        #expect(visibleText(input) == expected)
        #expect(!visibleText(input).unicodeScalars.contains(where: isControl))
    }

    @Test func newlinesCanStayLines() {
        #expect(visibleTextKeepingNewlines("one\u{1B}[1m\ntwo") == "one\\e[1m\ntwo")
    }

    /// The JSON escape changes the bytes, never the values: decoding gives the same strings.
    @Test(arguments: ["\u{7F}", "a\u{9B}b", "\u{80}\u{85}\u{9F}", "é ü 中 \u{A0}", "\u{1B}[2J"])
    func jsonControlsAreEscapedAndDecodeTheSame(text: String) throws {
        let encoded = try JSONEncoder().encode(["token": text])
        let escaped = escapingInvisibleControlsInJSON(Array(encoded))
        #expect(!escaped.contains(0x7F) && !escaped.contains(0x1B))
        #expect(!zip(escaped, escaped.dropFirst()).contains { $0 == 0xC2 && (0x80...0x9F).contains($1) })
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(escaped))
        #expect(decoded["token"] == text)
    }
}
