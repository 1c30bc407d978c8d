import ArgumentParser
import Explorer
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

struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move through a model's attention in a full-screen terminal explorer.",
        discussion: """
            The model runs once on your text and its attention trace is kept; the keys then move \
            through it: ←/→ (or h/l) the query token, ↑/↓ the layer, [ and ] the head, a the mean \
            of the layer's heads, Tab the kind of attention of the translator (encoder self, \
            decoder causal, cross), v the view (a heatmap of the head; its lines from the query to \
            every key, like BertViz's head view; every layer × head as small thumbnails, like its \
            model view). The chosen query's strongest keys are listed beside the view. s saves \
            the view as a PNG (the same figure tx attention draws), j the whole trace as JSON, \
            ? shows the keys, q quits. For a model that predicts the next token (smollm2, lm, \
            translator), n lists the ten most likely next tokens and Enter appends the chosen one \
            and runs the model again: 文字接龙 by hand.

            Models: minilm (all-MiniLM-L6-v2, a BERT encoder) and smollm2 (SmolLM2-135M-Instruct, \
            a Llama decoder) need ./scripts/fetch-models.sh; translator (Chinese → English; \
            --target is its English, by default its own translation), lm (English from the \
            corpus's words) and bert (the tiny BERT, reading the Chinese sentence and its \
            English) are shipped; or a path to your own .gguf, .safetensors or model folder.
            Without colour (NO_COLOR, --no-color) weights are shade characters ░▒▓█.

            Examples:
              tx explore --model minilm \\
                  --text "The animal didn't cross the street because it was too tired"
              tx explore --model smollm2 --text "The capital of France is"
              tx explore --model translator --text "我昨天在花园里看到了一只猫"
              tx explore --model lm --text "the teacher"
              tx explore --model bert --text "我是一个学生" --target "I am a student"
            """
    )

    @Option(help: ArgumentHelp("minilm, smollm2, translator, lm, bert, or a path to a .gguf file, a .safetensors file or a model folder.",
                               valueName: "name-or-path"),
            completion: .modelOrPath(Names.explore))
    var model: String

    @Option(help: "The text the model reads.")
    var text: String

    @Option(help: "With translator or bert: the English sentence (default: the translator's own translation).")
    var target: String?

    @Option(name: .customLong("out-dir"), help: "Where s and j save (the folder must exist; default Output, created when missing).",
            completion: .directory)
    var outDirectory: String?

    @Flag(help: "With a real model: keep the first tokens of a text too long for the figures, instead of stopping.")
    var truncate = false

    @Flag(help: "No ANSI colour: weights as shade characters (also when NO_COLOR is set).")
    var noColor = false

    func run() throws {
        // Everything that can fail cheaply fails before the screen opens, as one line.
        if let outDirectory, !isFolder(outDirectory) {
            throw CLIError("--out-dir \(outDirectory): no such folder (s and j save there)")
        }
        let terminal: RawTerminal
        do { terminal = try RawTerminal() } catch { throw CLIError("\(error)") }
        let session = try ExploreSession(model: model, text: text, target: target, truncate: truncate)
        var state: ExplorerState
        do {
            state = try ExplorerState(trace: session.trace, modelName: session.name, canPredict: session.canPredict)
        } catch { throw CLIError("\(error)") }
        let renderer = ExplorerRenderer(color: TerminalStyle.detect(noColorFlag: noColor).useColor)

        do { try terminal.enter() } catch { throw CLIError("\(error)") }
        // SIGTERM or SIGINT from outside: the clean-up thread restores the terminal before the end.
        InterruptCleanup.addExitAction { terminal.restore() }
        let status: Int32
        do {
            status = try ExploreLoop(terminal: terminal, session: session, renderer: renderer,
                                     outDirectory: outDirectory ?? defaultOutputFolder,
                                     isDefaultFolder: outDirectory == nil).run(&state)
        } catch {
            terminal.restore()   // first the screen closes, then the message is printed
            throw error is CLIError ? error : CLIError("\(error)")
        }
        terminal.restore()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Reads keys, updates the state, carries out its commands and redraws.
struct ExploreLoop {
    let terminal: RawTerminal
    let session: ExploreSession
    let renderer: ExplorerRenderer
    let outDirectory: String
    /// Output/, the default, is created at the first save when missing; an --out-dir must exist.
    let isDefaultFolder: Bool

    /// Returns the exit status: 0 for q, 130 for Ctrl-C.
    func run(_ state: inout ExplorerState) throws -> Int32 {
        let decoder = KeyDecoder()
        draw(state, clear: false)
        while true {
            switch terminal.nextEvent() {
            case .end:
                return 0
            case .resize:
                draw(state, clear: true)
            case let .bytes(bytes):
                for key in decoder.keys(bytes) {
                    switch state.handle(key) {
                    case .none: break
                    case .quit: return 0
                    case .interrupt: return 130
                    case .savePNG: state.status = savePNG(state)
                    case .saveJSON: state.status = saveJSON()
                    case .showCandidates:
                        do {
                            state.showCandidates(try session.candidates(10))
                        } catch {
                            state.status = "\(error)"
                        }
                    case let .append(candidate):
                        state.status = "running \(session.name) on the longer text…"
                        draw(state, clear: false)
                        do {
                            try session.append(candidate)
                            try state.replaceTrace(session.trace)
                            state.status = "appended \"\(candidate.label)\" (now \(state.queryTokens.count) tokens); n for the next one"
                        } catch {
                            state.showCandidates([])
                            state.status = "\(error)"
                        }
                    }
                }
                draw(state, clear: false)
            }
        }
    }

    private func draw(_ state: ExplorerState, clear: Bool) {
        let (width, height) = terminal.size()
        let frame = renderer.render(state, width: width, height: height).ansi(color: renderer.color)
        terminal.draw((clear ? "\u{1B}[2J" : "") + frame)
    }

    /// Why nothing can be saved, or nil when the folder is there.
    private func missingFolder() -> String? {
        if isDefaultFolder {
            do { try createDefaultOutputFolder() } catch { return "\(error)" }
        }
        return isFolder(outDirectory) ? nil : "no folder \(outDirectory) to save into: create it, or start with --out-dir"
    }

    private func savePNG(_ state: ExplorerState) -> String {
        if let missing = missingFolder() { return missing }
        let view: Attention.View = switch state.view {
        case .heatmap: .heatmap
        case .lines: .lines
        case .model: .model
        }
        let head = state.averageHeads ? nil : state.head + 1
        var name = "explore-\(session.slug)-\(state.kind.rawValue)-\(view.rawValue)"
        if view != .model { name += "-layer\(state.layer + 1)" }
        if view == .heatmap { name += head.map { "-head\($0)" } ?? "-mean" }
        let path = (outDirectory as NSString).appendingPathComponent(name + ".png")
        do {
            let chart = try session.chart(view, kind: state.kind, layer: state.layer + 1, head: head)
            try render(chart, to: path)
            return "saved \(path)"
        } catch {
            return "could not save \(path): \(error)"
        }
    }

    private func saveJSON() -> String {
        if let missing = missingFolder() { return missing }
        let path = (outDirectory as NSString).appendingPathComponent("explore-\(session.slug)-trace.json")
        do {
            try writeFileAtomically(try safeJSON(session.traceForFile), to: path)
            return "saved \(path) (the whole trace; schema in docs/trace-schema.md)"
        } catch {
            return "could not save \(path): \(error)"
        }
    }
}

/// One model and the text it read, with the code that runs it for `tx explore`: the same
/// loading and running as `tx attention` (real models) and `tx attention --arch` (the trained
/// ones), so `s` can draw the same figures.
final class ExploreSession {
    private enum Backend {
        case real(RealModel)
        /// The trained translator or tiny BERT: both read a Chinese sentence and its English.
        case architecture(ArchitectureDemo.Architecture, translator: Translator)
        case languageModel(LanguageModel)
    }

    private let backend: Backend
    private let modelArgument: String
    private(set) var trace: AttentionTrace
    /// Real models: the token ids read; the language model: its input ids.
    private var ids: [Int] = []
    /// The small trained models: the ids of the first sequence the model read, as `tx attention
    /// --arch` writes them (`ArchitectureDemo.tokenIDs`).
    private var smallModelIDs: [Int]?
    /// The translator and tiny BERT: the Chinese text and the English words.
    private let sourceText: String
    private var english: [String] = []
    /// Real decoders: the logits of the last run, row by row, for the next-token candidates.
    private var lastLogits: [Float] = []
    private var appendedText = ""

    let name: String

    init(model: String, text: String, target: String?, truncate: Bool) throws {
        modelArgument = model
        sourceText = text
        let lowered = model.lowercased()
        if target != nil, lowered != "translator", lowered != "bert" {
            throw CLIError("--target goes with --model translator or bert (the English of the Chinese --text)")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError("--text is empty: give the sentence to run the model on")
        }
        do {
            switch lowered {
            case "translator", "bert":
                let architecture: ArchitectureDemo.Architecture = lowered == "bert" ? .encoder : .encoderDecoder
                guard ArchitectureDemo.trainedModelsCover(text: text, target: target) else {
                    throw CLIError("the trained \(lowered) knows only the Chinese and English words of the project's corpus; "
                                   + "try --text \"我昨天在花园里看到了一只猫\" (and --target in its English words)")
                }
                let demo = try ArchitectureDemo(trainedOn: text, target: target)
                backend = .architecture(architecture, translator: try TrainedModels.translator())
                english = Array(demo.decoderInputTokens.dropFirst())
                trace = demo.trace(architecture)
                smallModelIDs = demo.tokenIDs[architecture]
                name = architecture == .encoder ? "tiny BERT" : "translator"
            case "lm":
                let languageModel = try TrainedModels.languageModel()
                let words = ParallelCorpus.tokenizeEnglish(text)
                let unknown = words.filter { !languageModel.vocabulary.contains($0) }
                guard unknown.isEmpty else {
                    throw CLIError("the language model does not know \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); "
                                   + "it knows the words of the project's corpus, e.g. --text \"the teacher\"")
                }
                backend = .languageModel(languageModel)
                english = words
                trace = try languageModel.trace(words)
                smallModelIDs = languageModel.input(words)
                name = "language model"
            default:
                if ModelStore.Name(rawValue: lowered) == nil, !model.contains("/"), !model.contains(".") {
                    throw CLIError("unknown model '\(model)'; available: \(Names.explore.joined(separator: ", ")), "
                                   + "or a path to a .gguf file, a .safetensors file or a model folder")
                }
                let real = try RealModel.load(model)
                let limit = min(real.positionLimit, RealModelAttention.figureTokenLimit)
                let reason = real.positionLimit <= RealModelAttention.figureTokenLimit
                    ? "\(real.name) has positions for" : "an attention figure shows"
                backend = .real(real)
                ids = try realModelTokens(real, text: text, limit: limit, limitReason: reason, truncate: truncate).ids
                name = real.name
                trace = AttentionTrace(architecture: "")
                try runRealModel(real)
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }

    var canPredict: Bool {
        switch backend {
        case let .real(model): model.attentionKind == .decoderSelf
        case let .architecture(architecture, _): architecture == .encoderDecoder
        case .languageModel: true
        }
    }

    /// For file names: "minilm", "smollm2", "translator", "lm", "bert", or the file's name.
    var slug: String {
        let base = URL(fileURLWithPath: modelArgument).deletingPathExtension().lastPathComponent.lowercased()
        let kept = base.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" }
        return kept.isEmpty ? "model" : String(String.UnicodeScalarView(kept))
    }

    /// The figure `tx attention` draws for this view, kind, layer and head (1-based; head nil:
    /// the mean of the layer's heads, drawn the same way).
    func chart(_ view: Attention.View, kind: AttentionKind, layer: Int, head: Int?) throws -> any Chart {
        switch backend {
        case let .real(model):
            let labels = trace.entries(kind: kind).first?.queryTokens ?? []
            return AttentionCharts.realModel(view, modelName: model.name, text: sourceText + appendedText, trace: trace,
                                             kind: kind, labels: labels, layer: layer, head: head)
        case let .architecture(architecture, _):
            return try AttentionCharts.architecture(view, architecture: architecture, trace: trace, kind: kind,
                                                    layer: layer, head: head, weights: .trained, seed: 7)
        case .languageModel:
            return try AttentionCharts.architecture(view, architecture: .decoder, trace: trace, kind: kind,
                                                    layer: layer, head: head, weights: .trained, seed: 7)
        }
    }

    /// The `count` most likely next tokens after the text, with their probabilities.
    func candidates(_ count: Int) throws -> [NextTokenCandidate] {
        let logits: [Float]
        let label: (Int) -> String
        switch backend {
        case let .real(model):
            guard case let .decoder(llama, _) = model else { return [] }
            logits = lastLogits
            label = { llama.tokenizer.tokenStrings([$0]).first ?? "#\($0)" }
        case let .architecture(_, translator):
            let targetIDs = Dictionary(translator.targetVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let decoderInput = [translator.startID] + english.map { targetIDs[$0] ?? translator.padID }
            logits = try translator.model.fullPrefixLogits(source: translator.sourceIDs(ParallelCorpus.tokenizeChinese(sourceText)),
                                                           decoderInput: decoderInput).last ?? []
            label = { translator.targetToken($0) }
        case let .languageModel(languageModel):
            logits = try languageModel.model.logitRows(languageModel.input(english)).last ?? []
            label = { languageModel.vocabulary.indices.contains($0) ? languageModel.vocabulary[$0] : "#\($0)" }
        }
        guard !logits.isEmpty else { return [] }
        let probabilities = try Tensor(shape: [logits.count], scalars: logits).softmax().scalars
        return rankedTokenIDs(probabilities).prefix(count).map {
            NextTokenCandidate(id: $0, label: label($0), probability: probabilities[$0])
        }
    }

    /// Appends the token and runs the model again on the longer text.
    func append(_ candidate: NextTokenCandidate) throws {
        switch backend {
        case let .real(model):
            guard case let .decoder(llama, _) = model else { return }
            let limit = min(model.positionLimit, RealModelAttention.figureTokenLimit)
            guard ids.count < limit else {
                throw CLIError("the text has \(ids.count) tokens, the most an attention figure shows")
            }
            ids.append(candidate.id)
            appendedText += (try? llama.tokenizer.decode([candidate.id])) ?? ""
            try runRealModel(model)
        case let .architecture(architecture, translator):
            guard candidate.id != translator.endID else {
                throw CLIError("\"</s>\": the translation ends here")
            }
            guard !candidate.label.hasPrefix("<") else { throw CLIError("\(candidate.label) is a special token; choose a word") }
            guard english.count + 1 < ArchitectureDemo.maximumTokens else {
                throw CLIError("the English has \(english.count) words, the most the figures show")
            }
            let longer = english + [candidate.label]
            let demo = try ArchitectureDemo(trainedOn: sourceText, target: longer.joined(separator: " "))
            trace = demo.trace(architecture)
            smallModelIDs = demo.tokenIDs[architecture]
            english = longer
        case let .languageModel(languageModel):
            guard candidate.id != languageModel.endID else { throw CLIError("\"</s>\": the model ends the sentence here") }
            guard !candidate.label.hasPrefix("<") else { throw CLIError("\(candidate.label) is a special token; choose a word") }
            guard english.count + 2 <= languageModel.model.configuration.maxLength else {
                throw CLIError("the text has \(english.count) words, the most the language model reads")
            }
            english.append(candidate.label)
            trace = try languageModel.trace(english)
            smallModelIDs = languageModel.input(english)
        }
    }

    /// The trace as `tx attention --json` writes it for the same model and text: with the
    /// model's name, the text and the token ids.
    var traceForFile: AttentionTrace {
        var file = trace
        switch backend {
        case .real:
            file.model = name
            file.tokenIDs = ids
            file.text = sourceText + appendedText
        default:
            file.model = "the trained \(name)"
            file.text = sourceText
            file.tokenIDs = smallModelIDs
        }
        return file
    }

    private func runRealModel(_ model: RealModel) throws {
        switch model {
        case .encoder:
            trace = try model.trace(ids)
        case let .decoder(llama, _):
            let output = try llama.forward(ids: ids, recordTrace: true)
            guard let recorded = output.trace else { throw CLIError("the model recorded no attention") }
            trace = recorded
            lastLogits = output.logits.row(ids.count - 1)
        }
    }
}

private func isFolder(_ path: String) -> Bool {
    var folder: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
}
