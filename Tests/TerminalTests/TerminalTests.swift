import Testing
@testable import Terminal

@Suite("Number and width formatting")
struct FormattingTests {
    @Test func fixedDecimals() {
        #expect(formatNumber(0.3149) == "0.31")
        #expect(formatNumber(1.0 / 3.0, decimals: 3) == "0.333")
        #expect(formatNumber(-0.006) == "-0.01")
        #expect(formatNumber(0.125, decimals: 2) == "0.13")   // 0.125 is exact in Float: half away from zero
        #expect(formatNumber(-0.001) == "0.00")        // no negative zero
        #expect(formatNumber(12.5, decimals: 0) == "13")
        #expect(formatNumber(2, decimals: 1) == "2.0")
        #expect(formatNumber(-Float.infinity) == "-∞")
        #expect(formatNumber(Float.nan) == "NaN")
    }

    @Test func displayWidthCountsCJKAsTwoAndSkipsEscapes() {
        #expect(displayWidth("abc") == 3)
        #expect(displayWidth("我是学生") == 8)
        #expect(displayWidth("\u{1B}[1;36mhello\u{1B}[0m") == 5)
        #expect(pad("我", to: 4) == "我  ")
        #expect(truncate("because", to: 5) == "beca…")
    }

    @Test func wrapKeepsWordsAndIndentedLines() {
        let text = "one two three four five six\n    code stays as it is even if it is long"
        let wrapped = wrap(text, width: 10)
        #expect(wrapped == "one two\nthree four\nfive six\n    code stays as it is even if it is long")
    }
}

@Suite("Matrix printer")
struct MatrixPrinterTests {
    @Test func alignsColumnsAndShowsRowSums() {
        let printer = MatrixPrinter(decimals: 2, showRowSums: true)
        let text = printer.format([[0.25, 0.75], [1, 0]], rowLabels: ["I", "student"], columnLabels: ["I", "student"])
        let expected = """
                         I  student  │ Σ row
            I         0.25     0.75  │  1.00
            student   1.00     0.00  │  1.00
            """
        #expect(text == expected)
    }

    @Test func masksPrintAsMinusInfinityAndCJKLabelsAlign() {
        let printer = MatrixPrinter(decimals: 1)
        let text = printer.format([[1, -.infinity], [2, 3]], rowLabels: ["我", "学生"], columnLabels: ["我", "学生"])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[1].contains("-∞"))
        // Every line ends at the same display column.
        #expect(Set(lines.map(displayWidth)).count == 1)
    }

    @Test func wideMatricesSplitIntoColumnBlocks() {
        let row = (0..<12).map { Float($0) }
        let printer = MatrixPrinter(decimals: 2, style: TerminalStyle(useColor: false, width: 40))
        let text = printer.format([row], rowLabels: ["r"], columnLabels: nil)
        #expect(text.contains("columns 1–"))
        #expect(text.contains("of 12"))
        for line in text.split(separator: "\n") { #expect(displayWidth(String(line)) <= 40) }
        #expect(text.contains("11.00"))
    }
}

@Suite("Terminal heatmap and colour switch")
struct HeatmapTests {
    @Test func colourCellsUseTheColourFunction() {
        let red: TerminalHeatmap.ColorFunction = { t in (UInt8(t * 255), 0, 0) }
        let map = TerminalHeatmap(style: TerminalStyle(useColor: true, width: 80), color: red)
        let text = map.format([[0, 1]], rowLabels: ["a"], columnLabels: ["x", "y"])
        #expect(text.contains("\u{1B}[48;2;255;0;0m"))   // the maximum value
        #expect(text.contains("\u{1B}[48;2;0;0;0m"))     // the minimum value
    }

    @Test func noColourMeansNoEscapesAndShadesInstead() {
        let map = TerminalHeatmap(style: .plain, showValues: false)
        let text = map.format([[0, 1], [-.infinity, 0.5]], rowLabels: ["a", "b"], columnLabels: ["x", "y"])
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("██"))
        #expect(text.contains("·"))
    }

    @Test func noColorEnvironmentTurnsColourOff() {
        #expect(TerminalStyle.detect(environment: ["NO_COLOR": "1"]).useColor == false)
        #expect(TerminalStyle.detect(noColorFlag: true, environment: [:]).useColor == false)
        #expect(TerminalStyle.detect(environment: ["TERM": "dumb"]).useColor == false)
        #expect(TerminalStyle.plain.bold("x") == "x")
        #expect(TerminalStyle(useColor: true).bold("x") == "\u{1B}[1mx\u{1B}[0m")
    }
}

@Suite("Step pager")
struct PagerTests {
    let steps = (1...3).map { PagerStep(title: "Title \($0)", body: "Body \($0)") }

    private func pagesShown(_ output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line -> Int? in
            let words = line.split(separator: " ")
            guard let at = words.firstIndex(of: "step"), at + 1 < words.count else { return nil }
            return Int(words[at + 1].prefix { $0.isNumber })
        }
    }

    @Test func nonInteractivePrintsEveryPageAndReadsNothing() {
        var output = ""
        var input = ScriptedLines(["q"])   // would quit at once if it were read
        let pager = StepPager(style: .plain, interactive: false)
        let outcome = pager.run(heading: "Lesson", steps: steps, input: &input) { output += $0 }
        #expect(outcome == .finished)
        #expect(pagesShown(output) == [1, 2, 3])
        #expect(input.readLine() == "q")
        #expect(!output.contains("Enter"))
    }

    @Test func enterBackAndQuit() {
        var output = ""
        var input = ScriptedLines(["", "b", "", "", "q"])
        let pager = StepPager(style: .plain, interactive: true, clearsScreen: false)
        let outcome = pager.run(heading: "Lesson", steps: steps, input: &input) { output += $0 }
        #expect(outcome == .quit)
        #expect(pagesShown(output) == [1, 2, 1, 2, 3])
    }

    @Test func enterOnLastPageFinishesAndEndOfInputQuits() {
        var output = ""
        var input = ScriptedLines(["", "", ""])
        let pager = StepPager(style: .plain, interactive: true, clearsScreen: false)
        #expect(pager.run(heading: "L", steps: steps, input: &input) { output += $0 } == .finished)
        var empty = ScriptedLines([])
        #expect(pager.run(heading: "L", steps: steps, input: &empty) { _ in } == .quit)
    }
}

@Suite("Terminal heatmap column labels")
struct HeatmapLabelTests {
    @Test func labelsTooLongForTheCellsBecomeNumbersWithAKey() {
        let map = TerminalHeatmap(style: .plain, showValues: false)
        let text = map.format([[0, 1], [1, 0]], rowLabels: ["animal", "street"], columnLabels: ["animal", "street"])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].trimmingSpaces() == "1  2")
        #expect(lines.last?.contains("columns: 1 animal · 2 street") == true)
    }

    @Test func shortLabelsStayOnTop() {
        let map = TerminalHeatmap(style: .plain, showValues: true)
        let text = map.format([[0, 1]], rowLabels: ["I"], columnLabels: ["I", "am"])
        #expect(text.split(separator: "\n")[0].contains("am"))
        #expect(!text.contains("columns:"))
    }
}
