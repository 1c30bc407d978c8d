import ArgumentParser
import Figures
import Foundation
import Lessons
import ModelIO
import TensorCore
import Terminal
import TrainedModels
import Transformer
import Tokenizers
import Training

struct Shift: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the shifted-right decoder input for a sentence pair.",
        discussion: """
            The diagram shows the source (what the encoder reads), the decoder input (<s> + the \
            target: the target shifted one place right), the tokens to predict (the target + </s>) \
            with an arrow from each input position to its token, and the causal mask beside them. \
            When the trained translator knows every word (a Chinese sentence and its English \
            translation from the project's corpus) its cross-attention is drawn as lines from each \
            decoder position to the source; otherwise the diagram has no lines. Chinese is split \
            into characters, other text into words.

            Examples:
              tx shift --source "我是一个学生" --target "I am a student" \\
                  --out Output/shift.png
              tx shift --source "我昨天在花园里看到了一只猫" \\
                  --target "I saw a cat in the garden yesterday."
              tx shift --source "Ich bin ein Student" --target "I am a student" \\
                  --out Output/de.svg
            """
    )

    @Option(help: "The source sentence (the encoder's input).")
    var source: String

    @Option(help: "The target sentence (the decoder's output).")
    var target: String

    @Option(help: "Where to write the diagram (.png, .svg or .pdf); the folder must exist.", completion: .figure)
    var out: String = "Output/shift.png"

    func run() throws {
        // Printed and drawn: control characters become visible escapes first.
        let source = shown(self.source), target = shown(self.target)
        let translator = try? TrainedModels.translator()
        let chineseSource = ParallelCorpus.tokenizeChinese(source)
        let englishTarget = ParallelCorpus.tokenizeEnglish(target)
        var sourceTokens = WordTokenizer().tokenize(source)
        var targetTokens = WordTokenizer().tokenize(target)
        guard !sourceTokens.isEmpty else { throw CLIError("--source is empty: give a sentence, e.g. --source \"我是一个学生\"") }
        guard !targetTokens.isEmpty else { throw CLIError("--target is empty: give its translation, e.g. --target \"I am a student\"") }
        guard sourceTokens.count <= 24, targetTokens.count <= 24 else {
            throw CLIError("at most 24 tokens per sentence fit legibly in the diagram (source \(sourceTokens.count), target \(targetTokens.count))")
        }
        try checkDestination(out, default: "Output/shift.png")   // after the sentences' checks
        var crossAttention: [[Float]]?
        var note = "The trained translator does not know every word of this pair, so no cross-attention is drawn."
        if let translator, ArchitectureDemo.trainedModelsCover(text: source, target: target) {
            let targetIDs = Dictionary(translator.targetVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let decoderInput = [translator.startID] + englishTarget.map { targetIDs[$0] ?? translator.padID }
            do {
                let layers = try translator.model.crossAttentionWeights(source: translator.sourceIDs(chineseSource),
                                                                        decoderInput: decoderInput, padID: -1)
                let last = layers[layers.count - 1]
                let heads = last.shape[0]
                crossAttention = (0..<last.shape[1]).map { t in
                    (0..<last.shape[2]).map { s in (0..<heads).map { last[$0, t, s] }.reduce(0, +) / Float(heads) }
                }
                sourceTokens = chineseSource
                targetTokens = englishTarget
                note = "Lines: the trained translator's cross-attention (last layer, mean of \(heads) heads), teacher-forced on this target."
            } catch {
                throw CLIError("\(error)")
            }
        }
        let diagram = ShiftRightDiagram(
            title: "Shifted right: what the decoder reads and what it must predict",
            subtitle: crossAttention == nil ? "teacher forcing: input = <s> + target, labels = target + </s>"
                : "lines: cross-attention of the trained translator (tx train translator), last layer, mean of the heads",
            sourceTokens: sourceTokens, targetTokens: targetTokens, crossAttention: crossAttention)
        do {
            try render(diagram, to: out)
        } catch {
            throw CLIError("\(error)")
        }
        writeOut("""
            Source (encoder input):  \(sourceTokens.joined(separator: " · "))
            Decoder input:           \(diagram.decoderInputTokens.joined(separator: " · "))
            Must predict:            \(diagram.labelTokens.joined(separator: " · "))
            \(note)
            Wrote \(out)

            """)
    }
}

/// A model that proposes the next token, for `tx generate`.
protocol NextTokenModel {
    /// Who is generating, for the first line of output.
    var description: String { get }
    /// The ids the loop starts from.
    var prompt: [Int] { get }
    /// Tokens that end the text.
    var endID: Int? { get }
    func logits(after ids: [Int]) throws -> [Float]
    func token(_ id: Int) -> String
    /// How generated tokens join into text.
    var separator: String { get }
    /// What the generated text continues ("" when the output starts afresh).
    var promptText: String { get }
    /// The text of the generated ids, joined as the model joins them.
    func generatedText(_ ids: [Int]) -> String
    /// A candidate as it would read appended after `generated`.
    func candidate(_ id: Int, after generated: [Int]) -> String
}

extension NextTokenModel {
    func generatedText(_ ids: [Int]) -> String { ids.map(token).joined(separator: separator) }
    func candidate(_ id: Int, after generated: [Int]) -> String { token(id) }
}

/// The trained decoder-only language model continues an English sentence start.
struct LanguageModelGenerator: NextTokenModel {
    let model: LanguageModel
    let prompt: [Int]
    var description: String { "the language model trained by this project (tx train lm; decoder-only, 2 layers, d_model 64)" }
    var promptText: String { prompt.dropFirst().map(token).joined(separator: " ") }
    var endID: Int? { model.endID }
    var separator: String { " " }
    func logits(after ids: [Int]) throws -> [Float] { try model.model.logitRows(ids).last ?? [] }
    func token(_ id: Int) -> String { model.vocabulary.indices.contains(id) ? shown(model.vocabulary[id]) : "#\(id)" }
}

/// The trained translator writes the English for a Chinese sentence.
struct TranslatorGenerator: NextTokenModel {
    let translator: Translator
    let source: [Int]
    var prompt: [Int] { [translator.startID] }
    var description: String { "the translator trained by this project (tx train translator; encoder–decoder, 2 + 2 layers)" }
    var promptText: String { "" }
    var endID: Int? { translator.endID }
    var separator: String { " " }
    func logits(after ids: [Int]) throws -> [Float] {
        try translator.model.fullPrefixLogits(source: source, decoderInput: ids).last ?? []
    }
    func token(_ id: Int) -> String { shown(translator.targetToken(id)) }
}

/// A real Llama-family decoder (SmolLM2-135M-Instruct, or the user's own GGUF file) continues
/// any text; its KV cache grows with the text, so each step pushes only the newest token
/// through the layers.
final class LlamaGenerator: NextTokenModel {
    let model: LlamaModel
    let name: String
    let session: LlamaSession
    let prompt: [Int]
    private var lastLogits: [Float] = []

    init(model: LlamaModel, name: String, prompt: [Int]) {
        self.model = model
        self.name = name
        session = model.makeSession()
        self.prompt = prompt
    }

    var description: String {
        "\(name) (a real pre-trained Llama-style decoder, \(model.configuration.layerCount) layers, read from GGUF)"
    }
    var endID: Int? { model.tokenizer.eosID }
    var separator: String { "" }
    var promptText: String { shown((try? model.tokenizer.decode(prompt)) ?? "") }
    func logits(after ids: [Int]) throws -> [Float] {
        if ids.count > session.count { lastLogits = try session.append(Array(ids[session.count...])) }
        return lastLogits
    }
    /// One candidate: its text, or its bytes ("<0xE4><0xB8>") when it is only part of a
    /// character (byte-level tokens often split a Chinese character or an emoji). A line break
    /// shows as ⏎, every other control character (a GGUF's token text is outside input: it may
    /// hold ESC sequences) as a visible escape.
    func token(_ id: Int) -> String {
        guard let bytes = try? model.tokenizer.bytes(of: id) else { return "#\(id)" }
        guard let text = String(validating: bytes, as: UTF8.self) else { return byteLabels(bytes) }
        return shown(text.replacingOccurrences(of: "\n", with: "⏎"))
    }

    /// The generated text from the bytes of all its tokens together, so that a character split
    /// across tokens comes out whole; bytes at the end that do not complete a character yet
    /// are shown as bytes.
    func generatedText(_ ids: [Int]) -> String {
        let bytes = ids.flatMap { (try? model.tokenizer.bytes(of: $0)) ?? [] }
        let (text, pending) = splitCompleteCharacters(bytes)
        return shown(text.replacingOccurrences(of: "\n", with: "⏎")) + byteLabels(pending)
    }

    /// A candidate that completes a character left unfinished by the text so far shows the
    /// character too: "<0x8E> (美)".
    func candidate(_ id: Int, after generated: [Int]) -> String {
        let label = token(id)
        let pending = splitCompleteCharacters(generated.flatMap { (try? model.tokenizer.bytes(of: $0)) ?? [] }).pending
        guard !pending.isEmpty, let bytes = try? model.tokenizer.bytes(of: id) else { return label }
        let joined = splitCompleteCharacters(pending + bytes)
        guard joined.pending.isEmpty, !joined.text.contains("\u{FFFD}") else { return label }
        return label + " (" + shown(joined.text.replacingOccurrences(of: "\n", with: "⏎")) + ")"
    }

}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text token by token, greedily or by sampling, and show each choice.",
        discussion: """
            At every step the model gives a probability to every token; temperature reshapes the \
            distribution (below 1 sharper, above 1 flatter), top-k keeps the k most likely tokens, \
            top-p keeps the smallest set of most likely tokens whose probability reaches p; one \
            token is drawn from what is left (seeded: the same seed gives the same text), appended, \
            and the loop repeats. --greedy always takes the most likely token instead.

            Models: lm (the project's trained language model; continues English made of the \
            corpus's words, e.g. "she likes"), translator (the trained translator; --text is a \
            Chinese sentence), sft and ppo (lesson 13's chat models; --text is a request of an \
            object and a place, e.g. "cat garden"), smollm2 (SmolLM2-135M-Instruct, a real pre-trained model; any \
            text; needs ./scripts/fetch-models.sh, which ./scripts/start.sh runs), or a path to \
            your own .gguf file of a Llama-family decoder (F32, F16, Q8_0, Q4_0 or Q4_1 weights).

            Examples:
              tx generate --model lm --text "the teacher" --temperature 0.8 --top-k 5 \\
                  --top-p 0.9 --seed 3
              tx generate --model translator --text "我们每天在学校画一朵花" --greedy
              tx generate --model lm --text "i" --temperature 1.5 --steps 12 \\
                  --out-dir Output/generate
              tx generate --model smollm2 --text "The capital of France is" --greedy \\
                  --steps 8
            """
    )

    @Option(help: ArgumentHelp("lm, translator, sft, ppo, smollm2, or a path to a .gguf file (a Llama-family decoder).", valueName: "name-or-path"),
            completion: .modelOrPath(Names.generate))
    var model: String = "lm"

    @Flag(help: "With a real model: keep the first tokens of a prompt longer than the model's context, instead of stopping.")
    var truncate = false

    @Option(help: "The text to continue (lm) or translate (translator).")
    var text: String

    @Option(parsing: .unconditional, help: "Temperature, \(OptionBounds.text(OptionBounds.temperature)) (1 = the model's own distribution; below 1 sharper, above 1 flatter).")
    var temperature: Float = 1

    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "Keep only the k most likely tokens, \(OptionBounds.text(OptionBounds.topK)).")
    var topK: Int?

    @Option(name: .customLong("top-p"), parsing: .unconditional, help: "Keep the smallest set of most likely tokens whose probability reaches p, 0 < p ≤ 1.")
    var topP: Float?

    @Option(parsing: .unconditional, help: "Seed of the draws.")
    var seed: UInt64 = 7

    @Option(parsing: .unconditional, help: "At most this many new tokens, \(OptionBounds.text(OptionBounds.generateSteps)).")
    var steps: Int = 20

    @Flag(help: "Always take the most likely token (temperature → 0); sampling options are ignored.")
    var greedy = false

    @Option(name: .customLong("out-dir"), help: "Write one chart per step into this folder (it must exist): the distribution before and after each filter.",
            completion: .directory)
    var outDirectory: String?

    @Flag(help: "No ANSI colour (also when the NO_COLOR environment variable is set).")
    var noColor = false

    func run() throws {
        try OptionBounds.check(steps, in: OptionBounds.generateSteps, option: "--steps")
        if !greedy {
            try OptionBounds.check(temperature, in: OptionBounds.temperature, option: "--temperature",
                                   note: " (for always the most likely token use --greedy)")
            if let topK { try OptionBounds.check(topK, in: OptionBounds.topK, option: "--top-k") }
            if let topP, !(topP > 0 && topP <= 1) {
                throw CLIError("--top-p \(topP) is out of range: give a value above 0 and at most 1")
            }
        }
        let options = SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed)
        if !greedy {
            do { try options.validate() } catch { throw CLIError("\(error)") }
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError("--text is empty: give the text to continue (or, for the translator, the sentence to translate)")
        }
        // The model and the text's words are arguments too: checked before the output folder.
        let generator = try makeGenerator()
        if let outDirectory {
            try checkDestination((outDirectory as NSString).appendingPathComponent("step.png"))
        }
        // One chart per step, all published together once the loop is done, or none.
        let outputs = StagedOutputs()
        var sampler = try Sampler(options: greedy ? SamplingOptions() : options)
        let style = TerminalStyle.detect(noColorFlag: noColor)
        writeOut("Model: \(generator.description)\n"
                 + (greedy ? "Greedy: always the most likely token.\n"
                    : "Sampling: temperature \(temperature)\(topK.map { ", top-k \($0)" } ?? "")\(topP.map { ", top-p \($0)" } ?? ""), seed \(seed)\n"))
        var ids = generator.prompt
        var generated: [Int] = []
        for step in 1...steps {
            let logits = try generator.logits(after: ids)
            try checkFinite(logits: logits, modelName: "the model", step: step)
            if !greedy, let largest = logits.map(abs).max(), !(largest / temperature).isFinite {
                throw CLIError("--temperature \(temperature) is too small for these logits: the largest, \(largest), divided by it "
                               + "overflows Float; use a temperature of at least \(largest / Float.greatestFiniteMagnitude * 2) or --greedy")
            }
            let sampled = try sampler.sample(logits: logits)
            let chosen = greedy ? try greedyTokenID(logits) : sampled.id
            let ranked = topRankedTokenIDs(sampled.original, count: 5)
            let kept = sampled.final.filter { $0 > 0 }.count
            writeOut("\nstep \(step): " + (greedy ? "the most likely of \(logits.count) tokens\n" : "\(kept) of \(logits.count) tokens left after the filters\n")
                     + probabilityBars(tokens: ranked.map { generator.candidate($0, after: generated) }, probabilities: ranked.map { sampled.final[$0] },
                                       chosen: ranked.firstIndex(of: chosen), style: style) + "\n")
            if let outDirectory {
                let shown = topRankedTokenIDs(sampled.original, count: 8)
                let figure = SamplingFigure(
                    title: "Step \(step): choosing the next token",
                    subtitle: "after \"\(([generator.promptText, generator.generatedText(generated)]).filter { !$0.isEmpty }.joined(separator: generator.separator))\" · the 8 most likely tokens",
                    tokens: shown.map(generator.token), original: shown.map { sampled.original[$0] },
                    temperature: temperature, afterTemperature: shown.map { sampled.afterTemperature[$0] },
                    k: topK, afterTopK: shown.map { sampled.afterTopK[$0] }, p: topP,
                    afterTopP: shown.map { sampled.afterTopP[$0] }, chosenIndex: shown.firstIndex(of: chosen))
                let path = (outDirectory as NSString).appendingPathComponent(String(format: "step-%02d.png", step))
                do { try outputs.stage(figure, to: path) } catch { throw CLIError("\(error) (no chart was written)") }
            }
            if chosen == generator.endID { writeOut("(end of text)\n"); break }
            ids.append(chosen)
            generated.append(chosen)
            writeOut("text: " + generator.promptText + (generator.promptText.isEmpty ? "" : generator.separator)
                     + style.bold(generator.generatedText(generated)) + "\n")
        }
        do { try outputs.publish() } catch { throw CLIError("\(error) (no chart was written)") }
        let prefix = generator.promptText.isEmpty ? "" : generator.promptText + generator.separator
        writeOut("\nGenerated: \(prefix)\(generator.generatedText(generated))\n")
    }

    func makeGenerator() throws -> NextTokenModel {
        do {
            switch model.lowercased() {
            case "lm":
                let languageModel = try TrainedModels.languageModel()
                let words = ParallelCorpus.tokenizeEnglish(text)
                let unknown = words.filter { !languageModel.vocabulary.contains($0) }
                guard unknown.isEmpty else {
                    throw CLIError("the language model does not know \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); "
                                   + "it knows the \(languageModel.vocabulary.count - 4) words of the project's corpus, e.g. --text \"the teacher\"")
                }
                return LanguageModelGenerator(model: languageModel, prompt: languageModel.input(words))
            case "sft", "ppo":
                return try ChatGenerator.make(model.lowercased(), text: text)
            case "translator":
                let translator = try TrainedModels.translator()
                let source = ParallelCorpus.tokenizeChinese(text)
                guard !source.isEmpty else { throw CLIError("--text is empty: give a Chinese sentence, e.g. --text \"我是一个学生\"") }
                let unknown = source.filter { !translator.sourceVocabulary.contains($0) }
                guard unknown.isEmpty else {
                    throw CLIError("the translator does not know \(unknown.joined(separator: " ")); use the corpus's characters, e.g. --text \"我们每天在学校画一朵花\"")
                }
                return TranslatorGenerator(translator: translator, source: translator.sourceIDs(source))
            default:
                // A real model: smollm2 or a path. Bare words that name nothing get the list of
                // every model this command knows.
                if ModelStore.Name(rawValue: model.lowercased()) == nil, !model.contains("/"), !model.contains(".") {
                    throw CLIError("unknown model '\(model)'; available: \(Names.generate.joined(separator: ", ")), or a path to a .gguf file")
                }
                guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw CLIError("--text is empty: give a prompt, e.g. --text \"The capital of France is\"")
                }
                let real = try RealModel.load(model)
                guard case let .decoder(llama, name) = real else {
                    throw CLIError("--model \(model): \(real.name) is an encoder (BERT); it has no next-token head. "
                                   + "tx generate needs a decoder: smollm2 or a .gguf file")
                }
                // The prompt and every generated token need a position.
                let limit = llama.configuration.contextLength - steps
                let tokens = try realModelTokens(real, text: text, limit: max(1, limit),
                                                 limitReason: "with --steps \(steps), \(name)'s context of \(llama.configuration.contextLength) leaves room for",
                                                 truncate: truncate)
                return LlamaGenerator(model: llama, name: name, prompt: tokens.ids)
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}
