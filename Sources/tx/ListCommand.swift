import ArgumentParser
import Lessons
import Localization
import Terminal

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the lessons.",
        discussion: """
            Lessons marked 'planned' are on the syllabus but not written yet.

            Example:
              tx list
            """
    )

    @Flag(help: "No ANSI colour.")
    var noColor = false

    @Option(name: .customLong("lang"), help: "Language of the list: en or zh (default: TX_LANG, else the locale's, else en).",
            completion: .list(Names.languages))
    var language: String?

    func run() throws {
        try Language.$current.withValue(resolveLanguage(option: language)) {
            let style = TerminalStyle.detect(noColorFlag: noColor)
            writeOut(lessonList(style: style) + "\n")
            writeOut("\n" + localized("Start one with: tx lesson <number or name>   (e.g. tx lesson attention)") + "\n")
        }
    }
}

/// The syllabus, one line per lesson; lessons in `finished` are marked "✓ done".
func lessonList(style: TerminalStyle, finished: Set<Int> = []) -> String {
    var lines = [style.bold(localized("TransformerExplorer lessons"))]
    for lesson in LessonCatalog.all {
        let number = pad(String(lesson.number), to: 3, alignRight: true)
        let name = pad(lesson.slug, to: 17)
        let status = !lesson.isAvailable ? "  " + localized("(planned)") : finished.contains(lesson.number) ? "  " + localized("✓ done") : ""
        // One line per lesson, cut to the screen so the list never wraps.
        let text = truncate("\(lesson.title) — \(lesson.summary)", to: max(20, style.width - 24 - displayWidth(status)))
        let line = "\(number)  \(name) \(text)\(status)"
        lines.append(lesson.isAvailable ? style.bold(line) : style.dim(line))
    }
    return lines.joined(separator: "\n")
}
