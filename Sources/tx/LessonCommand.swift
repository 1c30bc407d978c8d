import ArgumentParser
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

    @Argument(help: "The lesson's number or name (see 'tx list').")
    var name: String

    @OptionGroup var options: LessonOptions

    func run() throws {
        try Language.$current.withValue(options.chosenLanguage()) {
            let lesson = try findLesson(name)
            var input = StandardInputLines()
            _ = try present(lesson, options: options, input: &input)
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
