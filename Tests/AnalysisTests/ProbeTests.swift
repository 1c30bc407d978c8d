import Foundation
import Testing
@testable import Analysis
import ModelIO
import TensorCore
import TrainedModels
import Transformer
import Training

/// A copy of a trained stack whose W_O has the d_h input rows of `head` in `layer` set to zero.
func stackWithZeroedHead(_ model: TrainableSelfAttentionStack, layer: Int, head: Int) throws -> TrainableSelfAttentionStack {
    let copy = try TrainableSelfAttentionStack(configuration: model.configuration, vocabularySize: model.vocabularySize,
                                               pattern: model.pattern, segmentCount: model.segmentEmbedding == nil ? 0 : 2,
                                               seed: 0)
    var values: [String: Tensor] = [:]
    for (name, variable) in model.parameters.entries { values[name] = variable.value }
    let name = "layers.\(layer).attention.output.weight"
    let w = values[name]!
    let d = w.shape[1], dh = model.configuration.modelDimension / model.configuration.heads
    var scalars = w.scalars
    for row in (head * dh)..<((head + 1) * dh) { for column in 0..<d { scalars[row * d + column] = 0 } }
    values[name] = try Tensor(shape: w.shape, scalars: scalars)
    try copy.parameters.load(values)
    return copy
}

@Suite struct ToyProbeTests {
    static let words = ["the", "teacher", "reads", "a", "book"]

    @Test func nothingSilencedIsTheModelBitForBit() throws {
        let lm = try TrainedModels.languageModel()
        let ids = lm.input(Self.words)
        let probe = try ProbedModel.stack(lm.model, vocabulary: lm.vocabulary).run(ids: ids, labels: ids.map { "\($0)" })
        #expect(probe.logits == (try lm.model.logitRows(ids)))
        #expect(probe.trace.entries.map(\.weights) == (try lm.model.trace(ids, tokens: ids.map { "\($0)" })).entries.map(\.weights))
    }

    @Test func silencingAHeadIsZeroingItsRowsOfWO() throws {
        let lm = try TrainedModels.languageModel()
        let ids = lm.input(Self.words)
        let model = ProbedModel.stack(lm.model, vocabulary: lm.vocabulary)
        for (layer, head) in [(0, 2), (1, 0)] {
            let silenced = try model.run(ids: ids, labels: ids.map { "\($0)" }, ablating: [HeadIndex(layer: layer, head: head)])
            let zeroed = try stackWithZeroedHead(lm.model, layer: layer, head: head).logitRows(ids)
            let intact = try lm.model.logitRows(ids)
            var largest: Float = 0, changed: Float = 0
            for (a, b) in zip(silenced.logits!.joined(), zeroed.joined()) { largest = max(largest, abs(a - b)) }
            for (a, b) in zip(silenced.logits!.joined(), intact.joined()) { changed = max(changed, abs(a - b)) }
            #expect(largest < 1e-6)
            #expect(changed > 1e-3, "silencing L\(layer) H\(head) must change the logits")
        }
    }

    @Test func tinyBERTSilencingMatchesZeroedRows() throws {
        let bert = try TrainedModels.tinyBERT()
        let pair = bert.encodePair(["我", "是", "学", "生"], ["I", "am", "a", "[MASK]"])
        let model = ProbedModel.stack(bert.model, vocabulary: bert.vocabulary)
        let silenced = try model.run(ids: pair.ids, labels: pair.tokens, segments: pair.segments,
                                     ablating: [HeadIndex(layer: 1, head: 3)])
        let zeroed = try stackWithZeroedHead(bert.model, layer: 1, head: 3).logitRows(pair.ids, segments: pair.segments)
        var largest: Float = 0
        for (a, b) in zip(silenced.logits!.joined(), zeroed.joined()) { largest = max(largest, abs(a - b)) }
        #expect(largest < 1e-6)
        let intact = try model.run(ids: pair.ids, labels: pair.tokens, segments: pair.segments)
        #expect(intact.logits == (try bert.model.logitRows(pair.ids, segments: pair.segments)))
    }

    @Test func lensAtTheLastLayerIsTheModelsLogitsAndAtLayerZeroTheUnembeddedEmbedding() throws {
        let lm = try TrainedModels.languageModel()
        let ids = lm.input(Self.words)
        let model = ProbedModel.stack(lm.model, vocabulary: lm.vocabulary)
        let run = try model.run(ids: ids, labels: ids.map { "\($0)" })
        let lens = try #require(try LogitLens.logits(of: model, run: run))
        #expect(lens.count == lm.model.configuration.layers + 1)
        let logits = try lm.model.logitRows(ids)
        for (a, b) in zip(lens.last!.joined(), logits.joined()) { #expect(abs(a - b) < 1e-5) }

        // Layer 0 by hand: E[id]·√d + PE, layer-normed with the final norm's γ, β, times Eᵀ.
        let d = lm.model.configuration.modelDimension
        let table = lm.model.tokenEmbedding.weight.value
        let positions = sinusoidalPositionalEncoding(length: ids.count, dimension: d)
        let gamma = lm.model.finalNorm!.gamma.value.scalars, beta = lm.model.finalNorm!.beta.value.scalars
        for (t, id) in ids.enumerated() {
            let x = (0..<d).map { table.scalars[id * d + $0] * Float(d).squareRoot() + positions.scalars[t * d + $0] }
            let mean = x.reduce(0, +) / Float(d)
            let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(d)
            let normed = (0..<d).map { (x[$0] - mean) / (variance + lm.model.finalNorm!.epsilon).squareRoot() * gamma[$0] + beta[$0] }
            for v in [0, 7, id, lm.vocabulary.count - 1] {
                let expected = (0..<d).reduce(Float(0)) { $0 + normed[$1] * table.scalars[v * d + $1] }
                #expect(abs(lens[0][t][v] - expected) < 1e-4)
            }
        }
    }

    @Test func queriesAndKeysReproduceTheWeights() throws {
        let lm = try TrainedModels.languageModel()
        let ids = lm.input(Self.words)
        let run = try ProbedModel.stack(lm.model, vocabulary: lm.vocabulary)
            .run(ids: ids, labels: ids.map { "\($0)" }, recordQueriesKeys: true)
        let entry = run.trace.entries[5]
        let (q, k, scale) = (try #require(entry.queries), try #require(entry.keys), try #require(entry.scale))
        let i = 4
        let scores = (0...i).map { j in zip(q[i], k[j]).reduce(Float(0)) { $0 + $1.0 * $1.1 } * scale }
        let weights = probabilities(scores)
        for j in 0...i { #expect(abs(weights[j] - entry.weights[i][j]) < 1e-5) }
    }

    @Test func ablationOfNothingHasZeroDivergence() throws {
        let lm = try TrainedModels.languageModel()
        let ids = lm.input(Self.words)
        let model = ProbedModel.stack(lm.model, vocabulary: lm.vocabulary)
        let none = try HeadAblation(model: model, ids: ids, labels: ids.map { "\($0)" }, heads: [])
        #expect(none.before == none.after)
        #expect(none.divergence == 0)
        let sweep = try HeadAblation.sweep(model: model, ids: ids, labels: ids.map { "\($0)" })
        #expect(sweep.count == 2 && sweep[0].count == 4)
        #expect(sweep.joined().allSatisfy { $0 >= 0 && $0.isFinite })
        #expect(sweep.joined().contains { $0 > 1e-4 })
    }

    @Test func divergenceByHand() {
        // KL([.5, .5] ‖ [.25, .75]) = .5 ln 2 + .5 ln(2/3).
        let expected = 0.5 * log(2.0) + 0.5 * log(2.0 / 3.0)
        #expect(abs(HeadAblation.divergence([0.5, 0.5], [0.25, 0.75]) - expected) < 1e-7)
    }
}

@Suite(.enabled(if: ModelStore.isInstalled(.minilm)))
struct MiniLMProbeTests {
    @Test func silencingMatchesZeroedRowsAndNothingSilencedIsBitIdentical() throws {
        let model = try BertEncoderModel.loadInstalled()
        let ids = model.encode("The animal didn't cross the street because it was too tired")
        let labels = model.tokenize("The animal didn't cross the street because it was too tired")
        let probed = ProbedModel.bert(model)
        let intact = try probed.run(ids: ids, labels: labels, recordQueriesKeys: true)
        let own = try model.forward(ids: ids, recordTrace: true)
        #expect(intact.residuals.last!.joined().elementsEqual(own.lastHiddenState.scalars))
        #expect(intact.trace.entries.map(\.weights) == own.trace!.entries.map(\.weights))

        // A copy with layer 2's W_O rows of head 5 zeroed.
        let (layer, head) = (2, 5)
        var layers = model.layers
        let old = layers[layer]
        let w = old.attention.output.weight, d = w.shape[1], dh = old.attention.headDimension
        var scalars = w.scalars
        for row in (head * dh)..<((head + 1) * dh) { for c in 0..<d { scalars[row * d + c] = 0 } }
        let attention = try MultiHeadAttention(query: old.attention.query, key: old.attention.key, value: old.attention.value,
                                               output: try Linear(weight: try Tensor(shape: w.shape, scalars: scalars),
                                                                  bias: old.attention.output.bias),
                                               heads: old.attention.heads)
        layers[layer] = EncoderLayer(attention: attention, attentionNorm: old.attentionNorm, feedForward: old.feedForward,
                                     feedForwardNorm: old.feedForwardNorm, normPlacement: old.normPlacement)
        let zeroed = try BertEncoderModel(configuration: model.configuration, tokenizer: model.tokenizer,
                                          wordEmbeddings: model.wordEmbeddings, positionEmbeddings: model.positionEmbeddings,
                                          segmentEmbeddings: model.segmentEmbeddings, embeddingNorm: model.embeddingNorm,
                                          layers: layers)
        let silenced = try probed.run(ids: ids, labels: labels, ablating: [HeadIndex(layer: layer, head: head)])
        let expected = try zeroed.forward(ids: ids).lastHiddenState.scalars
        var largest: Float = 0
        for (a, b) in zip(silenced.residuals.last!.joined(), expected) { largest = max(largest, abs(a - b)) }
        #expect(largest < 1e-5)
        #expect(zip(silenced.residuals.last!.joined(), own.lastHiddenState.scalars).contains { abs($0 - $1) > 1e-3 })
        // q·k·scale reproduces the weights of a head.
        let entry = intact.trace.entries[13]
        let scores = (0..<ids.count).map { j in zip(entry.queries![3], entry.keys![j]).reduce(Float(0)) { $0 + $1.0 * $1.1 } * entry.scale! }
        for (a, b) in zip(probabilities(scores), entry.weights[3]) { #expect(abs(a - b) < 1e-5) }
    }
}

@Suite(.enabled(if: ModelStore.isInstalled(.smollm2)))
struct SmolLM2ProbeTests {
    static let model: Result<LlamaModel, any Error> = Result { try LlamaModel.loadInstalled() }

    @Test func lensAtTheLastLayerIsTheLogitsAndNothingSilencedIsBitIdentical() throws {
        let model = try Self.model.get()
        let ids = model.tokenizer.encode("The capital of France is")
        let probed = ProbedModel.llama(model)
        let run = try probed.run(ids: ids, labels: model.tokenizer.tokenStrings(ids), recordQueriesKeys: true)
        let own = try model.forward(ids: ids, recordTrace: true)
        #expect(run.logits!.joined().elementsEqual(own.logits.scalars))
        #expect(run.trace.entries.map(\.weights) == own.trace!.entries.map(\.weights))
        let lens = try #require(try LogitLens.logits(of: probed, run: run))
        #expect(lens.count == 31)
        var largest: Float = 0
        for (a, b) in zip(lens.last!.joined(), own.logits.scalars) { largest = max(largest, abs(a - b)) }
        #expect(largest < 1e-5)

        // Layer 0 by hand from the file: the token's embedding row, RMS-normed with output_norm, times every row.
        let file = try GGUFFile(contentsOf: try ModelStore.require(.smollm2).appendingPathComponent(ModelStore.Name.smollm2.files[0]))
        let table = try file.tensor(named: "token_embd.weight"), norm = try file.tensor(named: "output_norm.weight")
        let d = model.configuration.hiddenSize
        let id = ids[2]
        let x = Array(table.scalars[(id * d)..<((id + 1) * d)])
        let rms = Float(1 / (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(d) + model.configuration.rmsNormEpsilon).squareRoot())
        let normed = (0..<d).map { x[$0] * rms * norm.scalars[$0] }
        for v in [0, 1, id, 9000, model.configuration.vocabularySize - 1] {
            let expected = (0..<d).reduce(Float(0)) { $0 + normed[$1] * table.scalars[v * d + $1] }
            #expect(abs(lens[0][2][v] - expected) < 1e-3, "vocabulary entry \(v)")
        }
        // Queries and keys reproduce a head's weights (grouped-query heads share keys).
        let entry = run.trace.entries.first { $0.layer == 7 && $0.head == 4 }!
        let i = ids.count - 1
        let scores = (0...i).map { j in zip(entry.queries![i], entry.keys![j]).reduce(Float(0)) { $0 + $1.0 * $1.1 } * entry.scale! }
        for (a, b) in zip(probabilities(scores), entry.weights[i]) { #expect(abs(a - b) < 1e-4) }
    }

    @Test func silencingAHeadChangesTheNextToken() throws {
        let model = try Self.model.get()
        let ids = model.tokenizer.encode("The capital of France is")
        let probed = ProbedModel.llama(model)
        let labels = model.tokenizer.tokenStrings(ids)
        let none = try HeadAblation(model: probed, ids: ids, labels: labels, heads: [])
        #expect(none.divergence == 0)
        let all = Set((0..<9).map { HeadIndex(layer: 3, head: $0) })
        let some = try HeadAblation(model: probed, ids: ids, labels: labels, heads: all)
        #expect(some.divergence > 1e-4)
    }
}

@Suite struct TranslatorAblationTests {
    @Test func nothingSilencedTranslatesAsTheModelAndSilencingMatchesZeroedRows() throws {
        let translator = try TrainedModels.translator()
        let source = translator.sourceIDs("我昨天在花园里看到了一只猫".map(String.init))
        let own = try translator.model.greedyDecode(source: source, startID: translator.startID, endID: translator.endID, maxLength: 20)
        let intact = try TranslatorAblation(model: translator.model, silencing: [])
            .translate(source: source, startID: translator.startID, endID: translator.endID, maxLength: 20)
        #expect(intact == own)

        // Silence every cross-attention head of layer 2: the same as zeroing all of its W_O.
        let heads = Set((0..<4).map { TranslatorAblation.Head(kind: .cross, layer: 1, head: $0) })
        let silenced = try TranslatorAblation(model: translator.model, silencing: heads)
            .translate(source: source, startID: translator.startID, endID: translator.endID, maxLength: 20)
        let copy = try TrainableSeq2Seq(configuration: translator.model.configuration,
                                        sourceVocabularySize: translator.model.sourceVocabularySize,
                                        targetVocabularySize: translator.model.targetVocabularySize, seed: 0)
        var values: [String: Tensor] = [:]
        for (name, variable) in translator.model.parameters.entries { values[name] = variable.value }
        let name = "decoder.layers.1.crossAttention.output.weight"
        let w = try #require(values[name], "parameter names: \(values.keys.sorted().prefix(40))")
        values[name] = Tensor.zeros(w.shape)
        try copy.parameters.load(values)
        let zeroed = try copy.greedyDecode(source: source, startID: translator.startID, endID: translator.endID, maxLength: 20)
        #expect(silenced == zeroed)
    }
}
