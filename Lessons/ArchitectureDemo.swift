import Figures
import Localization
import TensorCore
import TrainedModels
import Transformer
import Tokenizers
import Training

/// One sentence run through the three architectures. Shared by lesson 8, `tx compare` and
/// `tx attention --arch`.
///
/// - `.trained` (the default where the words allow): the three models shipped with the package,
///   trained on the project's Chinese–English corpus (`tx train`). The translator
///   (encoder–decoder) reads the Chinese sentence and writes the English one; the language model
///   (decoder-only) reads "<s>" + the English sentence; the tiny BERT (encoder-only) reads
///   "[CLS] Chinese [SEP] English [SEP]", the pair it was trained on.
/// - `.random`: tiny randomly initialised models (2 layers, 4 heads, d_model 16) for any text:
///   encoder-only and decoder-only read `text`; the encoder–decoder reads `text` as its source
///   and "<s> target" as its decoder input.
package struct ArchitectureDemo: Sendable {
    package enum Weights: String, CaseIterable, Sendable {
        case trained, random
    }

    package enum Architecture: String, CaseIterable, Sendable {
        case encoder, decoder, encoderDecoder = "encoder-decoder"

        package var title: String {
            switch self {
            case .encoder: return localized("Encoder-only (BERT)")
            case .decoder: return localized("Decoder-only (GPT)")
            case .encoderDecoder: return localized("Encoder–decoder (T5, original Transformer)")
            }
        }
        /// The attention a figure shows by default: cross-attention is what sets the third apart.
        package var defaultKind: AttentionKind {
            switch self {
            case .encoder: return .encoderSelf
            case .decoder: return .decoderSelf
            case .encoderDecoder: return .cross
            }
        }
    }

    package enum DemoError: Error, CustomStringConvertible {
        case emptyText(String)
        case tooLong(String, Int)
        package var description: String {
            switch self {
            case .emptyText(let option):
                return localized("\(option) is empty: give a sentence, e.g. --text \"我是一个学生\" --target \"I am a student\"")
            case .tooLong(let option, let count):
                return localized("\(option) has \(count) tokens; at most \(ArchitectureDemo.maximumTokens) fit legibly in the figures")
            }
        }
    }

    package static let maximumTokens = 24
    package static let startToken = "<s>"

    /// What the encoder–decoder's encoder reads.
    package let sourceTokens: [String]
    /// What the encoder–decoder's decoder reads ("<s>" first).
    package let decoderInputTokens: [String]
    /// What the encoder-only model reads.
    package let encoderOnlyTokens: [String]
    /// What the decoder-only model reads.
    package let decoderOnlyTokens: [String]
    package let traces: [Architecture: AttentionTrace]
    /// The ids of the first sequence each model reads (the encoder–decoder's source), in that
    /// model's own vocabulary: the trained models' vocabularies, or for the untrained models
    /// the toy vocabulary of this input (its distinct tokens numbered in order of appearance).
    package let tokenIDs: [Architecture: [Int]]
    package let parameterCounts: [Architecture: Int]
    package let seed: UInt64
    package let weights: Weights

    /// The models in words, for subtitles: which ones, trained or not.
    package var modelDescription: String {
        switch weights {
        case .trained: localized("the three small models trained on the project's corpus (tx train; 2 layers, 4 heads, d_model 64)")
        case .random: localized("tiny untrained models (2 layers, 4 heads, seed \(seed))")
        }
    }

    /// Whether the shipped trained models know every token of this sentence pair: Chinese
    /// `text` (one token per character) and English `target`.
    package static func trainedModelsCover(text: String, target: String?) -> Bool {
        guard let translator = try? TrainedModels.translator() else { return false }
        let source = ParallelCorpus.tokenizeChinese(text)
        let english = target.map(ParallelCorpus.tokenizeEnglish) ?? []
        let sourceKnown = Set(translator.sourceVocabulary.dropFirst(ParallelCorpus.specialTokens.count))
        let targetKnown = Set(translator.targetVocabulary.dropFirst(ParallelCorpus.specialTokens.count))
        return !source.isEmpty && source.allSatisfy(sourceKnown.contains) && english.allSatisfy(targetKnown.contains)
    }

    /// The shipped trained models on a Chinese sentence and its English translation (the
    /// translator's own when `target` is nil).
    /// `recordQueriesKeys` puts every head's queries and keys in the traces (the neuron view).
    package init(trainedOn text: String, target: String? = nil, recordQueriesKeys: Bool = false) throws {
        let translator = try TrainedModels.translator()
        let languageModel = try TrainedModels.languageModel()
        let bert = try TrainedModels.tinyBERT()
        let source = ParallelCorpus.tokenizeChinese(text)
        guard !source.isEmpty else { throw DemoError.emptyText("--text") }
        guard source.count <= Self.maximumTokens else { throw DemoError.tooLong("--text", source.count) }
        let english = try target.map(ParallelCorpus.tokenizeEnglish) ?? translator.translate(source)
        guard !english.isEmpty else { throw DemoError.emptyText("--target") }
        guard english.count < Self.maximumTokens else { throw DemoError.tooLong("--target", english.count) }
        let decoderInput = [Self.startToken] + english
        let targetIDs = Dictionary(translator.targetVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var traces: [Architecture: AttentionTrace] = [:]
        traces[.encoderDecoder] = try translator.model.trace(
            source: translator.sourceIDs(source),
            decoderInput: decoderInput.map { targetIDs[$0] ?? targetIDs["<unk>"] ?? 0 },
            sourceTokens: source, decoderTokens: decoderInput, recordQueriesKeys: recordQueriesKeys)
        traces[.decoder] = try languageModel.trace(english, recordQueriesKeys: recordQueriesKeys)
        let pair = bert.encodePair(source, english)
        traces[.encoder] = try bert.trace(tokens: pair.tokens, segments: pair.segments,
                                          recordQueriesKeys: recordQueriesKeys)
        sourceTokens = source
        decoderInputTokens = decoderInput
        encoderOnlyTokens = pair.tokens
        decoderOnlyTokens = decoderInput
        self.traces = traces
        tokenIDs = [.encoder: pair.ids, .decoder: languageModel.input(english),
                    .encoderDecoder: translator.sourceIDs(source)]
        parameterCounts = [.encoder: bert.model.parameters.scalarCount,
                           .decoder: languageModel.model.parameters.scalarCount,
                           .encoderDecoder: translator.model.parameters.scalarCount]
        seed = 7
        weights = .trained
    }

    /// Tiny randomly initialised models on any text (see the type's documentation).
    /// `recordQueriesKeys` puts every head's queries and keys in the traces (the neuron view).
    package init(text: String, target: String? = nil, seed: UInt64, recordQueriesKeys: Bool = false) throws {
        let tokenizer = WordTokenizer()
        let source = tokenizer.tokenize(text)
        guard !source.isEmpty else { throw DemoError.emptyText("--text") }
        guard source.count <= Self.maximumTokens else { throw DemoError.tooLong("--text", source.count) }
        var targetTokens = source
        if let target {
            targetTokens = tokenizer.tokenize(target)
            guard !targetTokens.isEmpty else { throw DemoError.emptyText("--target") }
            guard targetTokens.count < Self.maximumTokens else { throw DemoError.tooLong("--target", targetTokens.count) }
        }
        let decoderInput = [Self.startToken] + targetTokens
        // A toy vocabulary: the distinct tokens of this input, in order of appearance.
        var vocabulary: [String: Int] = [:]
        for token in source + decoderInput where vocabulary[token] == nil { vocabulary[token] = vocabulary.count }
        let ids = { (tokens: [String]) in tokens.map { vocabulary[$0]! } }
        func configuration(_ base: TransformerConfiguration) -> TransformerConfiguration {
            var configuration = base
            configuration.vocabularySize = max(vocabulary.count, 2)
            configuration.maxLength = max(32, decoderInput.count, source.count)
            return configuration
        }
        let encoder = try EncoderOnlyModel(configuration: configuration(.tinyBERT), seed: seed)
        let decoder = try DecoderOnlyModel(configuration: configuration(.tinyGPT), seed: seed)
        let encoderDecoder = try EncoderDecoderModel(configuration: configuration(.tinyOriginal), seed: seed)
        var traces: [Architecture: AttentionTrace] = [:]
        let qk = recordQueriesKeys
        traces[.encoder] = try encoder.forward(ids(source), tokens: source, recordTrace: true, recordQueriesKeys: qk).trace
        traces[.decoder] = try decoder.forward(ids(source), tokens: source, recordTrace: true, recordQueriesKeys: qk).trace
        traces[.encoderDecoder] = try encoderDecoder.forward(source: ids(source), target: ids(decoderInput),
                                                             sourceTokens: source, targetTokens: decoderInput,
                                                             recordTrace: true, recordQueriesKeys: qk).trace
        self.sourceTokens = source
        self.decoderInputTokens = decoderInput
        encoderOnlyTokens = source
        decoderOnlyTokens = source
        self.traces = traces
        tokenIDs = [.encoder: ids(source), .decoder: ids(source), .encoderDecoder: ids(source)]
        weights = .random
        self.parameterCounts = [.encoder: encoder.parameterCount, .decoder: decoder.parameterCount,
                                .encoderDecoder: encoderDecoder.parameterCount]
        self.seed = seed
    }

    package func trace(_ architecture: Architecture) -> AttentionTrace { traces[architecture]! }

    /// Which key each query may see in the encoder–decoder (true = visible), for one kind of attention.
    package func visibility(_ kind: AttentionKind) -> (mask: [[Bool]], rows: [String], columns: [String]) {
        switch kind {
        case .encoderSelf:
            return (sourceTokens.map { _ in sourceTokens.map { _ in true } }, sourceTokens, sourceTokens)
        case .decoderSelf:
            let tokens = decoderInputTokens
            return (tokens.indices.map { i in tokens.indices.map { $0 <= i } }, tokens, tokens)
        case .cross:
            return (decoderInputTokens.map { _ in sourceTokens.map { _ in true } }, decoderInputTokens, sourceTokens)
        }
    }

    /// The attention maps of one kind from a trace, averaged over heads, one per layer.
    func layerMaps(_ trace: AttentionTrace, kind: AttentionKind, label: String) -> [ArchitectureComparison.Map] {
        let layers = trace.layers(kind: kind)
        return (0..<layers).compactMap { layer in
            let entries = trace.entries(kind: kind).filter { $0.layer == layer }
            guard let first = entries.first else { return nil }
            let mean = first.weights.indices.map { q in
                first.weights[q].indices.map { k in entries.map { $0.weights[q][k] }.reduce(0, +) / Float(entries.count) }
            }
            return ArchitectureComparison.Map(title: localized("\(label), layer \(layer + 1)"), values: mean,
                                              rowLabels: first.queryTokens, columnLabels: first.keyTokens,
                                              hidden: first.hiddenKeys)
        }
    }

    /// The side-by-side figure: block diagram, mask pattern and attention maps per architecture.
    package func comparison() -> ArchitectureComparison {
        func panel(_ title: String, _ kind: AttentionKind) -> ArchitectureComparison.MaskPanel {
            let (mask, rows, columns) = visibility(kind)
            return ArchitectureComparison.MaskPanel(title: title, mask: mask, rowLabels: rows, columnLabels: columns)
        }
        // One map per kind of attention, so the poster fits a slide with readable text (every layer
        // and head follows in the model views): the last layer of the encoder's and the decoder's
        // self-attention; for the encoder–decoder, the first layer of its two self-attentions and
        // the last of the cross-attention (where a trained translator's alignment is sharpest).
        let both = trace(.encoderDecoder)
        let encoderDecoderMaps = layerMaps(both, kind: .encoderSelf, label: localized("encoder self")).prefix(1)
            + layerMaps(both, kind: .decoderSelf, label: localized("decoder self")).prefix(1)
            + layerMaps(both, kind: .cross, label: localized("cross")).suffix(1)
        let causalOverSource = ArchitectureComparison.MaskPanel(
            title: localized("causal self-attention"),
            mask: decoderOnlyTokens.indices.map { i in decoderOnlyTokens.indices.map { $0 <= i } },
            rowLabels: decoderOnlyTokens, columnLabels: decoderOnlyTokens)
        let allVisible = ArchitectureComparison.MaskPanel(
            title: localized("self-attention: all visible"), mask: encoderOnlyTokens.map { _ in encoderOnlyTokens.map { _ in true } },
            rowLabels: encoderOnlyTokens, columnLabels: encoderOnlyTokens)
        return ArchitectureComparison(
            title: localized("Three architectures, one input"),
            subtitle: localized("who may see whom, and the attention of \(modelDescription); maps average the heads"),
            columns: [
                .init(title: Architecture.encoder.title,
                      caption: localized("bidirectional: every token sees every token · trained to fill in masked words"),
                      diagram: BlockDiagram(kind: .encoderOnly, layers: 2),
                      maskPanels: [allVisible],
                      maps: Array(layerMaps(trace(.encoder), kind: .encoderSelf, label: localized("self")).suffix(1))),
                .init(title: Architecture.decoder.title,
                      caption: localized("causal: each token sees itself and earlier tokens · trained to predict the next token"),
                      diagram: BlockDiagram(kind: .decoderOnly, layers: 2),
                      maskPanels: [causalOverSource],
                      maps: Array(layerMaps(trace(.decoder), kind: .decoderSelf, label: localized("causal self")).suffix(1))),
                .init(title: Architecture.encoderDecoder.title,
                      caption: localized("the encoder reads the source; the decoder writes the target, looking back at the source"),
                      diagram: BlockDiagram(kind: .encoderDecoder, layers: 2),
                      maskPanels: [panel(localized("encoder: all visible"), .encoderSelf), panel(localized("decoder: causal"), .decoderSelf),
                                   panel(localized("cross: all source"), .cross)],
                      maps: Array(encoderDecoderMaps)),
            ])
    }

    /// The comparison's three rows as three slide-sized figures (lesson 8): the block diagrams, the
    /// masks, the attention weights. Each keeps the columns' headings, so it reads on its own; the
    /// whole comparison (`comparison()`, `tx compare`) is too tall for a 16:9 slide.
    public func architecturesFigure() -> ArchitectureComparison {
        var figure = comparison()
        figure.title = localized("Three architectures: the blocks")
        figure.subtitle = localized("2 layers each; the encoder layer has one attention, the decoder layer of an encoder–decoder two")
        figure.columns = figure.columns.map { var column = $0; column.masks = []; column.maps = []; return column }
        return figure
    }

    /// The masks row of the comparison alone (see `architecturesFigure`).
    public func masksFigure() -> ArchitectureComparison {
        var figure = comparison()
        figure.title = localized("Three architectures: who may see whom")
        figure.subtitle = localized("the masks of the three on one input")
        figure.showsDiagrams = false
        figure.columns = figure.columns.map { var column = $0; column.maps = []; return column }
        return figure
    }

    /// The attention-weights row of the comparison alone (see `architecturesFigure`).
    public func weightsFigure() -> ArchitectureComparison {
        var figure = comparison()
        figure.title = localized("Three architectures: the attention weights")
        figure.subtitle = localized("the attention of \(modelDescription); maps average the heads")
        figure.showsDiagrams = false
        figure.columns = figure.columns.map { var column = $0; column.masks = []; return column }
        return figure
    }

    /// BertViz-style layers × heads thumbnails for one kind of attention of one architecture.
    package func modelView(_ architecture: Architecture, kind: AttentionKind? = nil) -> ModelView? {
        Self.modelView(of: trace(architecture), architecture: architecture, kind: kind, weights: weights, seed: seed)
    }

    /// The model view of any trace of `architecture` (`tx explore` draws the language model's this way).
    package static func modelView(of trace: AttentionTrace, architecture: Architecture, kind: AttentionKind? = nil,
                                 weights: Weights, seed: UInt64) -> ModelView? {
        let kind = kind ?? architecture.defaultKind
        let entries = trace.entries(kind: kind)
        guard let first = entries.first else { return nil }
        let layers = trace.layers(kind: kind), heads = entries.filter { $0.layer == 0 }.count
        let matrices = (0..<layers).map { layer in
            (0..<heads).map { head in trace.weights(layer: layer, head: head, kind: kind) ?? [] }
        }
        return ModelView(title: localized("\(architecture.title): \(describe(kind)), every layer and head"),
                         subtitle: weights == .trained
                             ? localized("rows: layers · columns: heads · trained on the project's corpus (tx train), shipped with the package")
                             : localized("rows: layers · columns: heads · untrained, seed \(seed)"),
                         weights: matrices, rowLabels: first.queryTokens, columnLabels: first.keyTokens,
                         hidden: first.hiddenKeys,
                         // The small models have 4 heads: room for a label on every token, even the
                         // 25 of the tiny BERT's sentence pair.
                         labelsEveryToken: heads <= 4)
    }

    /// Where one written English word looks in the source.
    package struct Alignment: Sendable, Equatable {
        /// The word the decoder writes at this position.
        package var written: String
        /// The decoder input at that position: the label of its row in the figures.
        package var row: String
        /// The source character with the largest cross-attention weight, and that weight.
        package var strongest: String
        package var weight: Float
    }

    /// For each decoder position, the source token its cross-attention weights most, in the last
    /// cross-attention layer with the heads averaged (the map the comparison figure shows). Row i
    /// of the decoder reads input i and writes input i + 1, so the last row (which writes the end
    /// of the sentence) has no word here.
    package func crossAlignment() -> [Alignment] {
        guard let map = layerMaps(trace(.encoderDecoder), kind: .cross, label: "").last else { return [] }
        return map.values.indices.dropLast().compactMap { row in
            guard row + 1 < decoderInputTokens.count, let best = map.values[row].indices.max(by: { map.values[row][$0] < map.values[row][$1] })
            else { return nil }
            return Alignment(written: decoderInputTokens[row + 1], row: map.rowLabels[row],
                             strongest: map.columnLabels[best], weight: map.values[row][best])
        }
    }

    /// In the encoder-only model's last layer (heads averaged), the share of attention that the
    /// tokens of the second segment (the English sentence, without its [SEP]) give to the first
    /// segment's tokens (the Chinese sentence, without [CLS] and [SEP]): how much English looks
    /// across the separator. nil when the input has no second segment.
    package func englishAttentionOnChinese() -> Float? {
        guard let map = layerMaps(trace(.encoder), kind: .encoderSelf, label: "").last else { return nil }
        let separators = encoderOnlyTokens.indices.filter { encoderOnlyTokens[$0] == "[SEP]" }
        guard separators.count >= 2 else { return nil }
        let chinese = 1..<separators[0], english = (separators[0] + 1)..<separators[1]
        guard !english.isEmpty, !chinese.isEmpty else { return nil }
        let shares = english.map { row in chinese.map { map.values[row][$0] }.reduce(0, +) }
        return shares.reduce(0, +) / Float(shares.count)
    }

    package func describe(_ kind: AttentionKind) -> String { Self.describe(kind) }

    package static func describe(_ kind: AttentionKind) -> String {
        switch kind {
        case .encoderSelf: return localized("encoder self-attention")
        case .decoderSelf: return localized("causal self-attention")
        case .cross: return localized("cross-attention")
        }
    }
}
