import Foundation
import Testing
@testable import Terminal

@Suite("Wrapping by display width")
struct WrapByWidthTests {
    @Test func chineseBreaksBetweenCharactersNeverInside() {
        let text = "注意力机制让每个词都能看到句子里的其他词，然后决定应该关注哪些词。"
        let wrapped = wrap(text, width: 20).split(separator: "\n").map(String.init)
        #expect(wrapped.count > 1)
        for line in wrapped { #expect(displayWidth(line) <= 20) }
        // Nothing lost or split: the lines join back to the text.
        #expect(wrapped.joined() == text)
        // Closing punctuation stays with the character before it.
        #expect(!wrapped.contains { $0.hasPrefix("，") || $0.hasPrefix("。") })
    }

    @Test func mixedTextBreaksAtSpacesAndBetweenCJK() {
        let text = "The model reads 我是一个学生 and writes I am a student, one token at a time."
        let lines = wrap(text, width: 16).split(separator: "\n").map(String.init)
        for line in lines { #expect(displayWidth(line) <= 16) }
        // English words are never cut.
        let words = Set(text.split(separator: " ").map(String.init).filter { $0.allSatisfy(\.isASCII) })
        for line in lines {
            for piece in line.split(separator: " ") where piece.allSatisfy(\.isASCII) {
                #expect(words.contains(String(piece)), "\(piece) was cut")
            }
        }
    }

    @Test func aWordLongerThanTheLineIsCutBetweenCharacters() {
        let lines = wrap("short supercalifragilisticexpialidocious end", width: 10).split(separator: "\n")
        for line in lines { #expect(displayWidth(String(line)) <= 10) }
        #expect(lines.joined() == "shortsupercalifragilisticexpialidocious end")
    }

    @Test func reflowWrapsMarkedProseToTheWidthOfTheMoment() {
        let body = reflowable("one two three four five six seven eight nine ten") + "\n" + "    indented stays as it is, however long it is"
        let narrow = reflow(body, width: 20).split(separator: "\n").map(String.init)
        #expect(narrow.last == "    indented stays as it is, however long it is")
        for line in narrow.dropLast() { #expect(displayWidth(line) <= 20) }
        let wide = reflow(body, width: 120).split(separator: "\n").map(String.init)
        #expect(wide.first == "one two three four five six seven eight nine ten")
        #expect(!reflow(body, width: 40).contains(reflowMarker))
    }

    @Test func hangingWrapIndentsContinuationLines() {
        let text = (1...30).map { "x\($0)" }.joined(separator: ", ")
        let lines = wrapHanging(text, width: 40, indent: 4, continuation: 8).split(separator: "\n").map(String.init)
        #expect(lines.count > 1)
        #expect(displayWidth(lines[0]) <= 36)
        for line in lines.dropFirst() {
            #expect(line.hasPrefix("        x"))
            #expect(displayWidth(line) <= 40)
        }
    }
}

@Suite("Colour depth, shades and ASCII")
struct ColourFallbackTests {
    @Test func colortermDecidesBetweenTrueColourAnd256() {
        #expect(TerminalStyle.detect(environment: ["COLORTERM": "truecolor"], outputIsTerminal: true).colorDepth == .trueColor)
        #expect(TerminalStyle.detect(environment: ["COLORTERM": "24bit"], outputIsTerminal: true).colorDepth == .trueColor)
        #expect(TerminalStyle.detect(environment: [:], outputIsTerminal: true).colorDepth == .palette256)
        let style = TerminalStyle(useColor: true, colorDepth: .palette256)
        // Pure red is cube entry (5, 0, 0) = 16 + 180; white is the cube's corner 231.
        #expect(style.onBackground("x", red: 255, green: 0, blue: 0).contains("\u{1B}[48;5;196m"))
        #expect(TerminalStyle.paletteIndex(red: 255, green: 255, blue: 255) == 231)
        // A mid grey is nearer the grey ramp than the cube: 128 → ramp step 12 (value 128).
        #expect(TerminalStyle.paletteIndex(red: 128, green: 128, blue: 128) == 232 + 12)
        #expect(!style.onBackground("x", red: 1, green: 2, blue: 3).contains("48;2;"))
    }

    @Test func columnsComeFromCOLUMNSWhenOutputIsNotATerminal() {
        #expect(TerminalStyle.detect(environment: ["COLUMNS": "80"], outputIsTerminal: false).width == 80)
        #expect(TerminalStyle.detect(environment: ["COLUMNS": "132"], outputIsTerminal: false).width == 132)
        #expect(TerminalStyle.detect(environment: ["COLUMNS": "junk"], outputIsTerminal: false).width == 80)
    }

    @Test func aSmallWeightStillGetsAShadeWithoutColour() {
        let map = TerminalHeatmap(style: .plain, showValues: false)
        let text = map.format([[0, 0.05, 1]], rowLabels: ["a"], columnLabels: ["x", "y", "z"], range: 0...1)
        let row = String(text.split(separator: "\n")[1])
        #expect(row == "a    ░░ ██ ")
    }

    /// Without colour the legend prints each shade between the two values it covers, and the
    /// cells follow it: 0.25 is still ░, just above it is ▒, and only the low end is blank.
    @Test func theShadeLegendStatesEachBin() {
        let map = TerminalHeatmap(style: .plain, showValues: false)
        let text = map.format([[0, 0.25, 0.26, 0.75, 0.76]], rowLabels: ["a"], columnLabels: ["v", "w", "x", "y", "z"], range: 0...1)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[1] == "a    ░░ ▒▒ ▓▓ ██ ")
        #expect(lines.last == "  scale 0.00 ░ 0.25 ▒ 0.50 ▓ 0.75 █ 1.00  blank = 0.00")
        let signed = map.format([[-2, 1]], rowLabels: ["a"], columnLabels: ["x", "y"], range: -2...2)
        #expect(signed.contains("size |value| 0.00 ░ 0.50 ▒ 1.00 ▓ 1.50 █ 2.00  (sign shown with each cell)"))
    }

    @Test func signedValuesKeepTheirSignWithoutColour() {
        let map = TerminalHeatmap(style: .plain, showValues: false)
        let text = map.format([[-2, 0, 2]], rowLabels: ["a"], columnLabels: ["x", "y", "z"], range: -2...2)
        let row = String(text.split(separator: "\n")[1])
        // Same size, opposite signs: the same shade, marked − and +; zero is blank.
        #expect(row == "a █-    █+ ")
        #expect(text.contains("sign shown with each cell"))
    }

    @Test func asciiFallbackReplacesAmbiguousGlyphsColumnForColumn() {
        let text = "── a │ b · ● ░▒▓█ → …"
        let ascii = asciiFallback(text)
        #expect(ascii == "-- a | b . o .:#@ > .")
        #expect(ascii.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(TerminalStyle.detect(environment: ["TX_ASCII": "1"]).ascii)
        #expect(!TerminalStyle.detect(environment: [:]).ascii)
        // Chinese is left alone: it is wide, not ambiguous.
        #expect(asciiFallback("我 ─ 你") == "我 - 你")
    }

    @Test func wideHeatmapsArePrintedInColumnBlocks() {
        let values = [(0..<20).map { Float($0) / 19 }]
        let map = TerminalHeatmap(style: TerminalStyle(useColor: false, width: 40), showValues: true)
        let text = map.format(values, rowLabels: ["row"], columnLabels: (1...20).map { "c\($0)" }, range: 0...1)
        for line in text.split(separator: "\n") { #expect(displayWidth(String(line)) <= 40, "\(line)") }
        #expect(text.contains("columns 1–"))
        #expect(text.contains("of 20"))
        #expect(text.contains("1.00"))   // the last column is there
        // A block of one column is "column n of n", not "columns n–n of n".
        #expect(columnBlockHeading(10..<11, of: 11) == "column 11 of 11")
        #expect(columnBlockHeading(0..<10, of: 11) == "columns 1–10 of 11")
    }
}

@Suite("UTF-8 split across tokens")
struct PartialUTF8Tests {
    @Test func unfinishedCharactersAreHeldBackAsBytes() {
        let zhong = Array("中".utf8)   // E4 B8 AD
        #expect(splitCompleteCharacters(Array("ab".utf8) + zhong.prefix(2)).text == "ab")
        #expect(splitCompleteCharacters(Array("ab".utf8) + zhong.prefix(2)).pending == [0xE4, 0xB8])
        #expect(splitCompleteCharacters(Array("ab中".utf8)).text == "ab中")
        #expect(splitCompleteCharacters(Array("ab中".utf8)).pending.isEmpty)
        #expect(splitCompleteCharacters([0xF0, 0x9F, 0x98]).pending == [0xF0, 0x9F, 0x98])   // 3 of an emoji's 4
        #expect(splitCompleteCharacters([]).text.isEmpty)
        #expect(byteLabels([0xE4, 0x0A]) == "<0xE4><0x0A>")
    }
}

@Suite("Pager: paging and answers")
struct PagerAnswerTests {
    let steps = [PagerStep(title: "First", body: (1...40).map { "line \($0)" }.joined(separator: "\n")),
                 PagerStep(title: "Second", body: "short"),
                 PagerStep(title: "Third", body: "end")]

    func run(_ answers: [String], rows: Int = 12) -> (output: String, outcome: StepPager.Outcome) {
        var output = ""
        var input = ScriptedLines(answers)
        let pager = StepPager(style: .plain, interactive: true, clearsScreen: true, screenSize: { (60, rows) })
        let outcome = pager.run(heading: "Lesson", steps: steps, input: &input) { output += $0 }
        return (output, outcome)
    }

    /// The screens written, split at the clear-screen sequence.
    func screens(_ output: String) -> [String] {
        output.components(separatedBy: "\u{1B}[2J\u{1B}[H").filter { !$0.isEmpty }
    }

    @Test func aLongStepIsPagedWithItsTitleOnEveryScreen() {
        let (output, _) = run(["", "", "q"])
        let shown = screens(output)
        #expect(shown.count == 3)
        for screen in shown {
            #expect(screen.contains("First"))
            #expect(screen.split(separator: "\n").count <= 12)
        }
        #expect(shown[0].contains("line 1\n") && !shown[0].contains("line 40"))
        #expect(shown[0].contains("Enter more (lines 1–"))
        #expect(shown[1].contains("line 8\n") || shown[1].contains("line 7\n"))
        // b goes back a screen within the step before it goes back a step.
        let back = screens(run(["", "b", "q"]).output)
        #expect(back[2] == back[0])
        // From the next step's first screen, b opens this step at its last screen (as `less` does).
        let paged = screens(run(["2", "b", "q"]).output)
        #expect(paged[1].contains("Second") && paged[2].contains("First"))
        #expect(paged[2].contains("line 40\n") && !paged[2].contains("line 1\n"))
        #expect(paged[2].contains("[Enter next"))
    }

    @Test func unknownKeysAndMissingStepsAreAnswered() {
        let shown = screens(run(["x", "9", "b", "2", "q"]).output)
        // At 60 columns the reply is wrapped at spaces onto two lines.
        #expect(shown[1].replacingOccurrences(of: "\n", with: " ").contains("Unknown key \"x\". Enter = next, b = back, a step number (1–3) + Enter jumps to it, q = quit."))
        #expect(shown[2].contains("There is no step 9: this lesson has steps 1–3."))
        #expect(shown[3].contains("This is the first step"))
        #expect(shown[4].contains("Second") && shown[4].contains("step 2/3"))
        #expect(shown[0].contains("a number 1–3 jumps"))
    }

    @Test func anUnknownKeyAt80ColumnsFitsAndKeepsTheTitle() {
        for rows in [12, 24] {
            var output = ""
            var input = ScriptedLines(["what is this key", "q"])
            let pager = StepPager(style: .plain, interactive: true, clearsScreen: true, screenSize: { (80, rows) })
            pager.run(heading: "Lesson", steps: steps, input: &input) { output += $0 }
            let shown = screens(output)
            #expect(shown.count == 2)
            let lines = shown[1].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.allSatisfy { displayWidth($0) <= 80 }, "\(lines.filter { displayWidth($0) > 80 })")
            #expect(lines.count <= rows)                  // nothing scrolls the title off
            #expect(lines.first?.contains("step 1/3") == true && lines.contains("First"))
            #expect(shown[1].contains("Unknown key \"what is this…\""))
            #expect(lines.contains { $0.hasPrefix("[Enter more") })
        }
    }

    @Test func aLongFigurePathBreaksOnlyAfterASlash() {
        let path = "Output/lesson-07-encoder-decoder-translation/figures/02-cross-attention-alignment.png"
        let line = "figure → " + path
        let broken = breakPath(line, width: 80)
        #expect(broken.count == 2)
        #expect(broken.allSatisfy { displayWidth($0) <= 80 })
        #expect(broken.joined() == line)
        #expect(broken.dropLast().allSatisfy { $0.hasSuffix("/") })
        #expect(broken.last == "02-cross-attention-alignment.png")
        // Indented paths keep their indentation; a line that fits is left alone.
        #expect(breakPath("    " + path, width: 60).dropFirst().allSatisfy { $0.hasPrefix("    ") })
        #expect(breakPath("figure → Output/a.png", width: 80) == ["figure → Output/a.png"])
        // Through the pager, page by page.
        let pager = StepPager(style: .plain, interactive: false, screenSize: { (80, 24) })
        var output = ""
        var input = ScriptedLines([])
        pager.run(heading: "Lesson", steps: [PagerStep(title: "Figure", body: "text\n\n" + line)], input: &input) { output += $0 }
        #expect(output.contains("\n02-cross-attention-alignment.png\n"))
        #expect(output.split(separator: "\n").allSatisfy { displayWidth(String($0)) <= 80 })
    }

    @Test func backWorksFromEveryStepAndEnterFinishes() {
        let (output, outcome) = run(["3", "b", "b", "3", "", ], rows: 60)
        let titles = screens(output).map { screen in ["First", "Second", "Third"].first { screen.contains("\n\($0)\n") } ?? "?" }
        #expect(titles == ["First", "Third", "Second", "First", "Third"])
        #expect(outcome == .finished)
    }

    @Test func aResizeRedrawsAtTheNewWidth() {
        struct Events: LineSource {
            var events: [PagerEvent]
            mutating func readLine() -> String? { nil }
            mutating func nextEvent() -> PagerEvent { events.isEmpty ? .end : events.removeFirst() }
        }
        nonisolated(unsafe) var width = 80   // read by the size closure below, on this thread only
        var output = ""
        var input = Events(events: [.resized, .line("q")])
        let long = [PagerStep(title: "T", body: reflowable(String(repeating: "word ", count: 30)))]
        let pager = StepPager(style: .plain, interactive: true, screenSize: { (width, 40) })
        _ = pager.run(heading: "L", steps: long, input: &input) { text in
            output += text
            width = 30
        }
        let shown = screens(output)
        #expect(shown.count == 2)
        let widest = { (screen: String) in screen.split(separator: "\n").map { displayWidth(String($0)) }.max() ?? 0 }
        #expect(shown[0].split(separator: "\n").contains { displayWidth(String($0)) > 30 })
        #expect(widest(shown[1]) <= 30 || shown[1].split(separator: "\n").last.map { $0.contains("[") } == true)
    }
}

/// FORCE_COLOR (https://force-color.org) turns colour on without a terminal; NO_COLOR and
/// --no-color still turn it off.
@Suite("FORCE_COLOR")
struct ForceColorTests {
    @Test func forcesColourWithoutATerminalButNotOverNoColor() {
        #expect(TerminalStyle.detect(environment: [:], outputIsTerminal: false).useColor == false)
        #expect(TerminalStyle.detect(environment: ["FORCE_COLOR": "1"], outputIsTerminal: false).useColor == true)
        #expect(TerminalStyle.detect(environment: ["FORCE_COLOR": "3"], outputIsTerminal: false).useColor == true)
        #expect(TerminalStyle.detect(environment: ["FORCE_COLOR": "1", "TERM": "dumb"], outputIsTerminal: true).useColor == true)
        #expect(TerminalStyle.detect(environment: ["TERM": "dumb"], outputIsTerminal: true).useColor == false)
        for off in ["", "0", "false", "FALSE"] {
            #expect(TerminalStyle.detect(environment: ["FORCE_COLOR": off], outputIsTerminal: false).useColor == false)
        }
        #expect(TerminalStyle.detect(environment: ["FORCE_COLOR": "1", "NO_COLOR": "1"], outputIsTerminal: false).useColor == false)
        #expect(TerminalStyle.detect(noColorFlag: true, environment: ["FORCE_COLOR": "1"], outputIsTerminal: true).useColor == false)
        // The output really is coloured: an SGR escape around the text.
        let style = TerminalStyle.detect(environment: ["FORCE_COLOR": "1"], outputIsTerminal: false)
        #expect(style.bold("x") == "\u{1B}[1mx\u{1B}[0m")
    }
}

@Suite("Chinese line breaking")
struct ChineseWrapTests {
    @Test func closingPunctuationNeverStartsALineAndOpeningNeverEndsOne() {
        // Every width from 6 to 30 columns, on a sentence with every kind of punctuation.
        let text = "填充掩码（padding mask）只由长度决定：当 j ≥ length(b) 时，第 b 句的第 j 个键被挡住。《注意力》“就是”一切！对吗？对。"
        for width in 6...30 {
            let lines = wrap(text, width: width).split(separator: "\n").map(String.init)
            for line in lines {
                #expect(displayWidth(line) <= width, "width \(width): \(line)")
                if let first = line.first { #expect(!"，。、：；！？）》”".contains(first), "width \(width): \(line)") }
                if let last = line.last { #expect(!"（《“".contains(last), "width \(width): \(line)") }
            }
            // Nothing lost or added but the spaces at the breaks.
            #expect(lines.joined().filter { $0 != " " } == text.filter { $0 != " " })
        }
    }
}
