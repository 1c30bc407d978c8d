import Figures
import Foundation
import Localization
import Terminal

/// What every lesson needs to run: the seed for its random choices, where its figures go,
/// and how to print.
public struct LessonContext: Sendable {
    /// The seed of every random choice (weights, samples): the same seed gives the same pages
    /// and the same figure bytes.
    public var seed: UInt64
    /// Figures go to `<outputRoot>/<NN-slug>/`.
    public var outputRoot: String
    /// How text is printed: plain, or with colour for a terminal.
    public var style: TerminalStyle
    /// Device pixels per figure unit in PNGs (2 gives crisp slides).
    public var figureScale: Double
    /// The language of the text and of the figures' titles; the numbers and figures' data are
    /// the same in every language.
    public var language: Language

    /// A context; the defaults are what `tx lesson` uses without options (seed 7, Output/, plain
    /// text, figures at scale 2, English).
    public init(seed: UInt64 = 7, outputRoot: String = "Output", style: TerminalStyle = .plain,
                figureScale: Double = 2, language: Language = .english) {
        self.seed = seed
        self.outputRoot = outputRoot
        self.style = style
        self.figureScale = figureScale
        self.language = language
    }
}

/// What running a lesson produced: the pages to step through, and the figures written.
public struct LessonRun: Sendable {
    /// The pages, in order, for a `StepPager` or for printing.
    public var steps: [PagerStep]
    /// The paths of the figures the lesson wrote, in the order they were written.
    public var figures: [String]
}

/// One lesson of the syllabus. Lessons that are not written yet are listed (so a learner sees
/// the road ahead) but have no `build` and cannot be started.
public struct Lesson: Sendable {
    /// The lesson's place in the syllabus, from 0.
    public let number: Int
    /// Its short name in English ("attention"), as `tx lesson` and the output folder take it.
    public let slug: String
    let titleText: LocalizedText
    let summaryText: LocalizedText
    let build: (@Sendable (LessonContext) throws -> LessonRun)?

    init(number: Int, slug: String, title: LocalizedText, summary: LocalizedText,
         build: (@Sendable (LessonContext) throws -> LessonRun)?) {
        self.number = number
        self.slug = slug
        self.titleText = title
        self.summaryText = summary
        self.build = build
    }

    /// The title in the current language (`Language.current`).
    public var title: String { titleText.localized }
    /// The one-line summary in the current language.
    public var summary: String { summaryText.localized }

    /// Whether the lesson is written (and `run` works).
    public var isAvailable: Bool { build != nil }
    /// The folder under Output/ for this lesson's figures, e.g. "03-attention".
    public var directoryName: String { (number < 10 ? "0" : "") + "\(number)-\(slug)" }

    /// Computes everything, writes the figures, and returns the pages. The last page ends with
    /// where to go next, so that the lessons are a path from 0 to the last one. Once the figures
    /// are written, figures an earlier run left in the lesson's folder under names this run did
    /// not write (a renamed figure) are removed, so the folder and the gallery show this run only;
    /// a run that writes no figure (a missing model) leaves the folder alone.
    /// Everything the lesson prints and draws is in `context.language`.
    public func run(_ context: LessonContext) throws -> LessonRun {
        guard let build else { throw LessonError.notWritten(self) }
        return try Language.$current.withValue(context.language) {
            var run = try build(context)
            // Only after every figure is written: a failed run leaves the previous set whole.
            if !run.figures.isEmpty {
                let folder = (context.outputRoot as NSString).appendingPathComponent(directoryName)
                try StaleFigures.remove(in: folder, keeping: run.figures)
            }
            if let last = run.steps.indices.last { run.steps[last].body += "\n\n" + nextLine }
            return run
        }
    }

    /// "Next: lesson 4 · Masks · tx lesson 4", or how to go on after the last lesson.
    public var nextLine: String {
        guard let next = LessonCatalog.available.first(where: { $0.number > number }) else {
            return localized("This was the last lesson. tx list shows them all; tx start opens the menu.")
        }
        return localized("Next: lesson \(next.number) · \(next.title) · tx lesson \(next.number)")
    }
}

/// Why a lesson cannot be found or run.
public enum LessonError: Error, CustomStringConvertible, LocalizedError {
    /// No lesson has this number or name.
    case unknown(String)
    /// The lesson is listed but not written yet.
    case notWritten(Lesson)

    /// The message in the current language, with the lessons that are available.
    public var description: String {
        let available = LessonCatalog.available.map { "\($0.number) (\($0.slug))" }.joined(separator: ", ")
        switch self {
        case .unknown(let name):
            return localized("unknown lesson '\(name)'; available: \(available) (see 'tx list')")
        case .notWritten(let lesson):
            return localized("lesson \(lesson.number) (\(lesson.slug)) is not written yet; available: \(available)")
        }
    }
}

/// The syllabus: every lesson, and lookup by number or name.
public enum LessonCatalog {
    /// The whole syllabus in order; `build` is set for the lessons that exist.
    public static let all: [Lesson] = [
        Lesson(number: 0, slug: "next-token", title: "文字接龙: what a language model does",
               summary: "predict the next token, append it, repeat",
               build: { try NextTokenLesson(context: $0).run() }),
        Lesson(number: 1, slug: "embeddings", title: "Tokens and embeddings",
               summary: "words to ids to vectors; king − man + woman ≈ queen",
               build: { try EmbeddingsLesson(context: $0).run() }),
        Lesson(number: 2, slug: "positions", title: "Positional encoding",
               summary: "attention ignores order, so position is added",
               build: { try PositionsLesson(context: $0).run() }),
        Lesson(number: 3, slug: "attention", title: "Scaled dot-product attention, step by step",
               summary: "softmax(QKᵀ/√d_k)V, every stage as a matrix and a figure",
               build: { try AttentionLesson(context: $0).run() }),
        Lesson(number: 4, slug: "masks", title: "Masks",
               summary: "padding and look-ahead masks",
               build: { try MasksLesson(context: $0).run() }),
        Lesson(number: 5, slug: "multi-head", title: "Multi-head attention",
               summary: "several heads, several patterns",
               build: { try MultiHeadLesson(context: $0).run() }),
        Lesson(number: 6, slug: "block", title: "The Transformer block",
               summary: "feed-forward, residuals, layer norm",
               build: { try BlockLesson(context: $0).run() }),
        Lesson(number: 7, slug: "encoder-decoder", title: "Encoder–decoder and the shifted-right input",
               summary: "我是一个学生 → I am a student",
               build: { try EncoderDecoderLesson(context: $0).run() }),
        Lesson(number: 8, slug: "architectures", title: "Three architectures side by side",
               summary: "BERT, GPT, T5: who may see whom",
               build: { try ArchitecturesLesson(context: $0).run() }),
        Lesson(number: 9, slug: "bert-data", title: "BERT pre-training data",
               summary: "masked LM 15% / 80-10-10 and next-sentence pairs",
               build: { try BertDataLesson(context: $0).run() }),
        Lesson(number: 10, slug: "gpt-numbers", title: "The GPT family in numbers",
               summary: "parameters from configurations",
               build: { try GPTNumbersLesson(context: $0).run() }),
        Lesson(number: 11, slug: "in-context", title: "In-context learning",
               summary: "zero-, one- and few-shot prompts",
               build: { try InContextLesson(context: $0).run() }),
        Lesson(number: 12, slug: "sampling", title: "Sampling",
               summary: "greedy, temperature, top-k, top-p",
               build: { try SamplingLesson(context: $0).run() }),
        Lesson(number: 13, slug: "chatgpt-training", title: "How ChatGPT is trained",
               summary: "pre-training, fine-tuning, reward model, PPO",
               build: { try ChatGPTTrainingLesson(context: $0).run() }),
        Lesson(number: 14, slug: "real-model", title: "Looking inside a real model",
               summary: "attention of a real BERT and a real decoder",
               build: { try RealModelLesson(context: $0).run() }),
    ]

    /// The lessons that are written, in order.
    public static var available: [Lesson] { all.filter(\.isAvailable) }

    /// Finds a lesson by number ("3", "03") or name ("attention", "03-attention").
    public static func lookup(_ query: String) throws -> Lesson {
        let key = query.trimmingCharacters(in: .whitespaces).lowercased()
        let found = all.first { lesson in
            if let number = Int(key) { return lesson.number == number }
            return lesson.slug == key || lesson.directoryName == key
        }
        guard let lesson = found else { throw LessonError.unknown(query) }
        guard lesson.isAvailable else { throw LessonError.notWritten(lesson) }
        return lesson
    }
}

extension LessonError {
    /// The same message as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
