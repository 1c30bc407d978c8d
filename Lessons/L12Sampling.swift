import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import TrainedModels
import Transformer

/// Lesson 12: greedy, temperature, top-k and top-p on one next-token distribution of the trained
/// language model (`tx train lm`).
struct SamplingLesson {
    let context: LessonContext
    static let prefix = ["the", "teacher", "found", "a"]

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("sampling")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let model = try TrainedModels.languageModel()
        let logits = try model.model.logitRows(model.input(Self.prefix)).last ?? []
        let probabilities = try softmax(logits)
        let shown = Array(rankedTokenIDs(probabilities).prefix(8))
        let names = shown.map { model.vocabulary[$0] }
        func bars(_ distribution: [Float], chosen: Int? = nil) -> String {
            probabilityBars(tokens: names, probabilities: shown.map { distribution[$0] },
                            chosen: chosen.flatMap { shown.firstIndex(of: $0) }, style: context.style)
        }
        let prefixText = Self.prefix.joined(separator: " ")

        steps.append(PagerStep(title: localized("One distribution, many ways to choose"), body: prose("""
            A language model does not write text; it gives a probability to every possible next \
            token. How one token is chosen from that distribution is a separate decision, made at \
            generation time, with no retraining. The distribution in this lesson is real: the small \
            language model this project trains (tx train lm) after "\(prefixText)". The eight most \
            likely of its \(model.vocabulary.count) tokens:
            """) + "\n\n" + bars(probabilities) + "\n\n" + prose("""
            Greedy decoding takes the top token, "\(names[0])", every time: deterministic, but \
            repetitive and often dull in longer texts. Sampling draws at random in proportion to \
            the probabilities. The three knobs below reshape the distribution before the draw.
            """)))

        // Temperature.
        var temperatureLines: [String] = []
        for temperature: Float in [0.25, 0.5, 1, 2, 4] {
            let reshaped = try softmax(applyTemperature(logits, temperature))
            let top = reshaped[shown[0]]
            temperatureLines.append("    " + localized("T = \(pad(String(format: "%.2f", temperature), to: 5)) top token \(String(format: "%.3f", top))   entropy \(String(format: "%.2f", entropy(reshaped))) nats"))
        }
        // The near-tie the text describes, and how much mass the tail gets, measured.
        let ranked = rankedTokenIDs(probabilities)
        let tied = ranked.filter { probabilities[$0] >= probabilities[ranked[0]] / 2 }.count
        func tailMass(_ temperature: Float) throws -> Double {
            let reshaped = try softmax(applyTemperature(logits, temperature))
            return ranked.dropFirst(tied).reduce(0.0) { $0 + Double(reshaped[$1]) }
        }
        let topAtQuarter = try softmax(applyTemperature(logits, 0.25))[ranked[0]]
        let (tailAtOne, tailAtFour) = (try tailMass(1), try tailMass(4))
        steps.append(PagerStep(title: localized("Temperature: sharper or flatter"), body: prose("""
            Temperature divides the logits by T before the softmax: p_i ∝ exp(z_i / T). Below 1 \
            the gaps between logits grow and the favourite takes more of the mass; above 1 they \
            shrink and the distribution flattens toward uniform. As T → 0 sampling becomes greedy.
            """) + "\n\n" + temperatureLines.joined(separator: "\n") + "\n\n" + prose("""
            (Entropy measures the spread: 0 when one token is certain, ln \(model.vocabulary.count) = \
            \(String(format: "%.2f", log(Double(model.vocabulary.count)))) when all are equally likely.) \
            Here \(tied) tokens are almost tied (each at least half as likely as the favourite), \
            because the corpus picked objects at random, so even T = 0.25 leaves the favourite \
            only \(String(format: "%.3f", topAtQuarter)); what low temperatures remove is the tail. \
            At a temperature of 4 the tail comes back: the tokens outside the top \(tied) get \
            \(String(format: "%.3f", tailAtFour)) of the mass, against \(String(format: "%.3f", tailAtOne)) at T = 1.
            """)))

        // Top-k and top-p.
        let afterK = try topK(probabilities, 3)
        let afterP = try topP(probabilities, 0.6)
        let keptP = afterP.filter { $0 > 0 }.count
        steps.append(PagerStep(title: localized("Top-k and top-p: cut the tail"), body: prose("""
            Even a good model gives a little probability to many bad tokens, and with thousands of \
            them the tail adds up. Top-k keeps only the k most likely tokens and renormalises. \
            With k = 3:
            """) + "\n\n" + bars(afterK) + "\n\n" + prose("""
            A fixed k is blunt: when the model is sure, k = 3 still keeps two bad options; when many \
            tokens are good, it throws good ones away. Top-p (nucleus sampling) keeps the smallest \
            set of most likely tokens whose probabilities add up to at least p. With p = 0.6 it \
            keeps \(keptP) here:
            """) + "\n\n" + bars(afterP)))

        // All together, with a draw, and the figure.
        // p = 0.75: after top-k the first three tokens hold less than that and the first four more,
        // so top-p visibly drops the fifth (with p = 0.9 it would keep all five and look like top-k).
        let combinedP: Float = 0.75
        let options = SamplingOptions(temperature: 0.7, topK: 5, topP: combinedP, seed: context.seed)
        var sampler = try Sampler(options: options)
        let step = try sampler.sample(logits: logits)
        let figurePath = try figures.write(
            SamplingFigure(title: localized("Sampling the next token after \"\(prefixText)\""),
                           subtitle: localized("the trained language model (tx train lm) · the 8 most likely tokens · red: the drawn token (sampled, seed \(context.seed))"),
                           tokens: names, original: shown.map { step.original[$0] }, temperature: 0.7,
                           afterTemperature: shown.map { step.afterTemperature[$0] }, k: 5,
                           afterTopK: shown.map { step.afterTopK[$0] }, p: combinedP,
                           afterTopP: shown.map { step.afterTopP[$0] }, chosenIndex: shown.firstIndex(of: step.id)),
            as: "01-temperature-top-k-top-p.png")
        // The draws follow the final distribution: count 2,000 of them.
        var counter = try Sampler(options: options)
        var counts: [Int: Int] = [:]
        let draws = 2000
        for _ in 0..<draws { counts[try counter.sample(logits: logits).id, default: 0] += 1 }
        let frequencyLines = shown.filter { step.final[$0] > 0 }.map { id in
            "    \(pad(model.vocabulary[id], to: 10)) "
                + localized("probability \(String(format: "%.3f", step.final[id]))   drawn \(String(format: "%.3f", Double(counts[id, default: 0]) / Double(draws)))")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("All three, then a draw"), body: prose("""
            In practice the filters are combined, in this order: temperature, top-k, top-p, then \
            one draw from what is left. With T = 0.7, k = 5, p = \(formatNumber(combinedP, decimals: 2)) and seed \(context.seed), \
            top-p keeps \(step.afterTopP.filter { $0 > 0 }.count) of the \(step.afterTopK.filter { $0 > 0 }.count) tokens top-k \
            left, and the draw gives "\(model.vocabulary[step.id])". In the figure each panel filters the panel \
            before it (top-p sees only what top-k kept); the drawn token is red in the last panel.

            Are the draws right? \(draws) draws with the same settings, against the final \
            probabilities:
            """) + "\n\n" + frequencyLines + "\n\n" + figureLine(figurePath)))

        // Whole texts.
        var texts: [String] = []
        for (label, strategy) in [(localized("greedy"), SamplingStrategy.greedy),
                                  ("T = 0.7, top-p 0.9", .sample(SamplingOptions(temperature: 0.7, topP: 0.9, seed: context.seed))),
                                  ("T = 1.5", .sample(SamplingOptions(temperature: 1.5, seed: context.seed)))] {
            var sampler = try Sampler(options: { if case let .sample(o) = strategy { return o } else { return SamplingOptions() } }())
            var text = ["i"]
            for _ in 0..<16 {
                let next = try model.model.logitRows(model.input(text)).last ?? []
                let id = strategy == .greedy ? try greedyTokenID(next) : try sampler.sample(logits: next).id
                if id == model.endID { break }
                text.append(model.vocabulary[id])
            }
            texts.append("    \(pad(label, to: 20)) \(text.joined(separator: " "))")
        }
        steps.append(PagerStep(title: localized("Whole texts"), body: prose("""
            Starting from "i", three ways to continue:
            """) + "\n\n" + texts.joined(separator: "\n") + "\n\n" + prose("""
            Low temperature and a nucleus keep the text on safe ground; a high temperature lets \
            unlikely tokens in, and with them mistakes. Chat models are usually run with T between \
            0.7 and 1 and top-p around 0.9. Try it (one chart per step):
                tx generate --model lm --text "she" --temperature 1.5 --top-p 0.9 --seed 4 \\
                    --out-dir Output
            """) + "\n\n" + narrator.figuresWritten(figures.written)))
        return LessonRun(steps: steps, figures: figures.written)
    }
}
