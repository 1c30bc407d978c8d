import ArgumentParser
import Foundation
import Lessons
import Localization
import Terminal

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Step through one lesson in the terminal and write its figures.",
        discussion: """
            Enter = next screen or step, b = back, a step number + Enter jumps there, q = quit. A step \
            longer than the window is shown a screen at a time under its title. With --no-pause, or \
            when stdin is not a terminal, every step is printed at once. Figures go to \
            <output-dir>/<NN-name>/. TX_ASCII=1 prints rules and grids in ASCII (for terminals in \
            CJK locales, which draw ─ · ░ ▒ two columns wide); NO_COLOR=1 or --no-color turns colour \
            off; COLORTERM=truecolor selects 24-bit colour (otherwise the 256-colour palette). \
            --lang zh (or TX_LANG=zh, or a Chinese locale such as LANG=zh_CN.UTF-8) shows the lesson \
            and its figures' text in Chinese.

            Examples:
              tx lesson attention
              tx lesson 3 --seed 42
              tx lesson attention --no-pause > lesson3.txt
              tx lesson 3 --lang zh
            """
    )

    @Argument(help: "The lesson's number or name (see 'tx list').", completion: .list(Names.lessons))
    var name: String

    @OptionGroup var options: LessonOptions

    func run() throws {
        try Language.$current.withValue(options.chosenLanguage()) {
            try reportingUntranslated {
                let lesson = try findLesson(name)
                var input = StandardInputLines()
                _ = try present(lesson, options: options, input: &input)
            }
        }
    }
}

func findLesson(_ name: String) throws -> Lesson {
    do {
        return try LessonCatalog.lookup(name)
    } catch {
        throw CLIError("\(error)")
    }
}

/// With `TX_UNTRANSLATED=<file>` set, the texts `body` showed that the current language's string
/// tables lack are appended to `<file>` as entries to fill in ("en: …" then an empty "zh:"), so a
/// translator can run the lessons and get the list of what is missing, ready to paste.
func reportingUntranslated<T>(_ body: () throws -> T) throws -> T {
    guard let path = ProcessInfo.processInfo.environment["TX_UNTRANSLATED"], !path.isEmpty,
          Language.current != .english else { return try body() }
    let recorder = TranslationRecorder()
    let result = try TranslationRecorder.$current.withValue(recorder) { try body() }
    let entries = recorder.untranslated.map { "en:\n\($0)\n\(Language.current.code):\n\n" }.joined()
    guard !entries.isEmpty else { return result }
    guard let handle = FileHandle(forWritingAtPath: path) ?? {
        FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil
    }() else { throw CLIError("TX_UNTRANSLATED: cannot write \(path)") }
    handle.seekToEndOfFile()
    handle.write(Data(entries.utf8))
    handle.closeFile()
    return result
}

/// Runs a lesson and shows it in the pager; returns how the pager ended.
func present(_ lesson: Lesson, options: LessonOptions, input: inout StandardInputLines) throws -> StepPager.Outcome {
    let context = try options.context()
    let run: LessonRun
    do {
        run = try lesson.run(context)
    } catch {
        throw CLIError(localized("lesson \(lesson.number) (\(lesson.slug)): \(error)"))
    }
    if options.interactive { ResizeSignal.install() }
    let pager = StepPager(style: context.style, interactive: options.interactive)
    return pager.run(heading: localized("Lesson \(lesson.number) · \(lesson.title)"), steps: run.steps, input: &input) { writeOut($0) }
}
