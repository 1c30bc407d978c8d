import Figures
import Foundation
import Localization
import ModelIO
import Testing
@testable import Lessons
@testable import Terminal

/// Every lesson in Chinese is the same lesson: one definition, two texts. These tests run each
/// lesson in English and in Chinese with one seed and compare what a learner gets.
@Suite("Every lesson in Chinese")
struct ChineseLessonsTests {
    /// Lessons 1, 11 and 14 need real models: tested where scripts/fetch-models.sh has put them.
    static let lessons = LessonCatalog.available.map(\.number).filter { number in
        switch number {
        case 1: ModelStore.isInstalled(.minilm)
        case 11: ModelStore.isInstalled(.smollm2)
        case 14: ModelStore.isInstalled(.minilm) && ModelStore.isInstalled(.smollm2)
        default: true
        }
    }.filter(onlyRequestedLessons)

    @Test(arguments: lessons)
    func sameStepsNumbersAndFiguresWithEveryWordTranslated(number: Int) throws {
        let lesson = try LessonCatalog.lookup(String(number))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zh-\(UUID().uuidString)").path
        let english = try lesson.run(LessonContext(seed: 3, outputRoot: root + "/en"))
        let recorder = TranslationRecorder()
        let log = RenderLog()
        let chinese = try TranslationRecorder.$current.withValue(recorder) {
            try RenderLog.$current.withValue(log) {
                try lesson.run(LessonContext(seed: 3, outputRoot: root + "/zh", language: .chinese))
            }
        }
        // Every text the lesson asked for has a translation.
        #expect(recorder.untranslated.isEmpty,
                "lesson \(number): no Chinese for:\n\(recorder.untranslated.map { "  " + $0.prefix(100) }.joined(separator: "\n"))")
        // The same steps, each printing the same numbers.
        try #require(chinese.steps.count == english.steps.count)
        for (index, (en, zh)) in zip(english.steps, chinese.steps).enumerated() {
            let enNumbers = numbers(in: en.title + "\n" + en.body), zhNumbers = numbers(in: zh.title + "\n" + zh.body)
            #expect(enNumbers == zhNumbers,
                    "lesson \(number) step \(index + 1): numbers only in English \(enNumbers.subtracting(zhNumbers)), only in Chinese \(zhNumbers.subtracting(enNumbers))")
        }
        // The same figures, by name.
        #expect(chinese.figures.map { ($0 as NSString).lastPathComponent } == english.figures.map { ($0 as NSString).lastPathComponent })
        // No English sentence left in the narration.
        let leftovers = chinese.steps.flatMap { englishRuns(in: $0.title + "\n" + $0.body) }
        #expect(leftovers.isEmpty, "lesson \(number): English in the Chinese text:\n\(leftovers.joined(separator: "\n"))")
        // Printed at 80 columns: nothing too wide, no line that starts with closing punctuation
        // or ends with opening punctuation.
        let wide = overlong(chinese, width: 80, root: root + "/zh")
        #expect(wide.isEmpty, "lesson \(number) in Chinese at 80 columns:\n\(wide.joined(separator: "\n"))")
        for line in pages(chinese, width: 80).split(separator: "\n").map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let first = trimmed.first { #expect(!Self.noLineStart.contains(first), "line starts with \(first): \(line)") }
            if let last = trimmed.last { #expect(!Self.noLineEnd.contains(last), "line ends with \(last): \(line)") }
        }
        // The figures carry Chinese titles that render with every glyph, and their text stays
        // on the canvas with no two labels colliding.
        for fault in figureLayoutFaults(log) { Issue.record("lesson \(number) in Chinese: \(fault)") }
        // A vertical label with Chinese in it stacks the characters upright; Latin letters, digits
        // and brackets beside them are laid out of place by Pango, so such labels are all Chinese.
        for entry in log.entries {
            for text in entry.texts where isVertical(text) && text.text.contains(where: isChinese) {
                #expect(text.text.allSatisfy { isChinese($0) || $0 == " " },
                        "lesson \(number), \((entry.path as NSString).lastPathComponent): vertical label \"\(text.text)\"")
            }
        }
        for figure in chinese.figures {
            let bytes = try #require(FileManager.default.contents(atPath: figure))
            let title = try #require(pngTitle([UInt8](bytes)), "\(figure) has no title")
            #expect(title.contains { isChinese($0) }, "\(figure): title not in Chinese: \(title)")
            #expect(missingGlyphCount(in: title) == 0, "\(figure): \(title)")
        }
    }

    static let noLineStart: Set<Character> = ["，", "。", "、", "：", "；", "！", "？", "）", "」", "』", "》"]
    static let noLineEnd: Set<Character> = ["（", "「", "『", "《"]

    @Test func theMenuTitlesAndPagerSpeakChinese() throws {
        let pager = StepPager(style: TerminalStyle(useColor: false, width: 80), interactive: false, screenSize: { nil })
        let englishPrompt = pager.prompt(index: 0, count: 5, firstLine: 0, lastLine: 10, totalLines: 20, hasMore: true)
        Language.$current.withValue(.chinese) {
            for lesson in LessonCatalog.all {
                #expect(lesson.title.contains { isChinese($0) }, "lesson \(lesson.number): \(lesson.title)")
                #expect(lesson.summary.contains { isChinese($0) } || !lesson.summary.contains(" "),
                        "lesson \(lesson.number): \(lesson.summary)")
            }
            let prompt = pager.prompt(index: 0, count: 5, firstLine: 0, lastLine: 10, totalLines: 20, hasMore: true)
            #expect(prompt.contains { isChinese($0) })
            #expect(numbers(in: prompt) == numbers(in: englishPrompt))
        }
    }
}

/// The numbers a text prints (a multiset, as sorted strings: "1,413", "0.55", "3"), whatever
/// the words around them and their order.
func numbers(in text: String) -> Set<String> {
    var found: [String: Int] = [:]
    let pattern = try! NSRegularExpression(pattern: #"\d+(?:[.,]\d+)*"#)
    let ns = text as NSString
    for match in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
        let number = ns.substring(with: match.range)
        found[number, default: 0] += 1
    }
    return Set(found.map { "\($0.key)×\($0.value)" })
}

func isChinese(_ character: Character) -> Bool {
    character.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
}

/// Runs of four or more English words in a row in the prose of a Chinese text: an untranslated
/// sentence. Lines that start with spaces (formulas, code, token lists, tables) and text in
/// quotes, brackets or backticks are data, not narration, and are skipped.
func englishRuns(in text: String) -> [String] {
    var runs: [String] = []
    for rawLine in text.split(separator: "\n") {
        let line = String(rawLine.filter { $0 != reflowMarker })
        guard !line.hasPrefix(" "), !line.isEmpty else { continue }
        var narration = line
        for (open, close) in [("\"", "\""), ("“", "”"), ("(", ")"), ("（", "）"), ("[", "]"), ("`", "`"), ("「", "」"), ("‘", "’")] {
            narration = removingEnclosed(narration, open: open, close: close)
        }
        let words = narration.split { !($0.isASCII && ($0.isLetter || $0 == "'" || $0 == "-")) && $0 != " " }
        for chunk in words {
            let latin = chunk.split(separator: " ").filter { $0.count >= 2 && $0.contains { $0.isLetter } }
            if latin.count >= 4 { runs.append("  " + line) ; break }
        }
    }
    return runs
}

private func removingEnclosed(_ text: String, open: String, close: String) -> String {
    var result = "", rest = Substring(text)
    while let start = rest.range(of: open) {
        result += rest[..<start.lowerBound]
        let after = rest[start.upperBound...]
        guard let end = after.range(of: close) else { return result + rest[start.lowerBound...] }
        result += " "
        rest = after[end.upperBound...]
    }
    return result + rest
}

/// `TX_TEST_LESSONS=4,5 swift test --filter …` runs the per-lesson tests for those lessons only.
func onlyRequestedLessons(_ number: Int) -> Bool {
    guard let list = ProcessInfo.processInfo.environment["TX_TEST_LESSONS"], !list.isEmpty else { return true }
    return list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.contains(number)
}

/// True when a label runs up or down the figure rather than across it.
func isVertical(_ text: DrawnText) -> Bool {
    guard text.corners.count == 4 else { return false }
    let dx = text.corners[1].x - text.corners[0].x, dy = text.corners[1].y - text.corners[0].y
    return abs(dy) > abs(dx)
}
