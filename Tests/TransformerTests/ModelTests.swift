import Testing
import TensorCore
@testable import Transformer

@Suite("The three architectures")
struct ModelTests {
    // MARK: Parameter counts, by hand

    /// Configurations to count: the presets, their untied variants, and an odd-sized one.
    static let configurations: [TransformerConfiguration] = {
        var list: [TransformerConfiguration] = [.tiny, .tinyOriginal, .tinyBERT]
        for var c in [TransformerConfiguration.tiny, .tinyOriginal] {
            c.tiedOutput = false
            list.append(c)
        }
        list.append(TransformerConfiguration(layers: 3, modelDimension: 6, heads: 3, feedForwardDimension: 10,
                                             vocabularySize: 11, maxLength: 7, activation: .relu,
                                             normPlacement: .post, positions: .learned, tiedOutput: false))
        return list
    }()

    /// The parts every count is made of, written out.
    struct HandCount {
        let d: Int, ff: Int, vocab: Int, maxLength: Int, layers: Int
        let learned: Bool, preNorm: Bool, tied: Bool
        init(_ c: TransformerConfiguration) {
            d = c.modelDimension; ff = c.feedForwardDimension; vocab = c.vocabularySize
            maxLength = c.maxLength; layers = c.layers
            learned = c.positions == .learned; preNorm = c.normPlacement == .pre; tied = c.tiedOutput
        }
        /// W_Q, W_K, W_V, W_O with their biases.
        var attention: Int { 4 * (d * d + d) }
        /// W_1, b_1, W_2, b_2.
        var feedForward: Int { (d * ff + ff) + (ff * d + d) }
        /// γ and β.
        var norm: Int { 2 * d }
        var encoderLayer: Int { attention + feedForward + 2 * norm }
        var decoderLayer: Int { attention + attention + feedForward + 3 * norm }   // self + cross
        var gptLayer: Int { attention + feedForward + 2 * norm }                   // no cross-attention
        var embeddings: Int { vocab * d + (learned ? maxLength * d : 0) }
        var finalNorm: Int { preNorm ? norm : 0 }
        var output: Int { tied ? 0 : d * vocab }   // no bias; tied = the embedding, counted once
    }

    @Test("parameter counts match the hand count", arguments: configurations)
    func parameterCounts(configuration: TransformerConfiguration) throws {
        let n = HandCount(configuration)
        let encoderOnly = try EncoderOnlyModel(configuration: configuration, seed: 1)
        #expect(encoderOnly.parameterCount == n.embeddings + n.layers * n.encoderLayer + n.finalNorm)

        let decoderOnly = try DecoderOnlyModel(configuration: configuration, seed: 1)
        #expect(decoderOnly.parameterCount == n.embeddings + n.layers * n.gptLayer + n.finalNorm + n.output)

        let encoderDecoder = try EncoderDecoderModel(configuration: configuration, seed: 1)
        #expect(encoderDecoder.parameterCount
                == n.embeddings + n.layers * n.encoderLayer + n.finalNorm
                + n.layers * n.decoderLayer + n.finalNorm + n.output)

        for parameters in [encoderOnly.parameters, decoderOnly.parameters, encoderDecoder.parameters] {
            #expect(Set(parameters.map(\.name)).count == parameters.count, "names are unique")
        }
    }

    @Test func tinyCountsInNumbers() throws {
        // d 16, ff 64, vocab 32, 32 positions, 2 layers, pre-norm, learned, tied:
        //   layer (no cross) = 4·(256 + 16) + (1024 + 64) + (1024 + 16) + 2·32 = 3280
        //   GPT-like = 32·16 + 32·16 + 2·3280 + 32 = 7616
        #expect(try DecoderOnlyModel(configuration: .tiny, seed: 0).parameterCount == 7616)
        //   decoder layer with cross-attention = 3280 + 1088 + 32 = 4400
        //   encoder-decoder = 1024 + 2·3280 + 32 + 2·4400 + 32 = 16448
        #expect(try EncoderDecoderModel(configuration: .tiny, seed: 0).parameterCount == 16448)
        var untied = TransformerConfiguration.tiny
        untied.tiedOutput = false
        #expect(try DecoderOnlyModel(configuration: untied, seed: 0).parameterCount == 7616 + 16 * 32)
    }

    @Test func parameterNamesAreDotted() throws {
        let bert = try EncoderOnlyModel(configuration: .tinyBERT, seed: 1)
        let names = bert.parameters.map(\.name)
        #expect(names.first == "tokenEmbedding.weight")
        #expect(names.contains("positionEmbedding.weight"))
        #expect(names.contains("encoder.layers.0.attention.query.weight"))
        #expect(names.contains("encoder.layers.1.feedForward.contract.bias"))
        #expect(names.contains("encoder.layers.1.feedForwardNorm.gamma"))
        #expect(!names.contains { $0.hasPrefix("encoder.finalNorm") })   // post-norm: no final norm

        var untied = TransformerConfiguration.tiny
        untied.tiedOutput = false
        let gpt = try DecoderOnlyModel(configuration: untied, seed: 1)
        let gptNames = gpt.parameters.map(\.name)
        #expect(gptNames.contains("decoder.layers.1.selfAttention.output.bias"))
        #expect(gptNames.contains("decoder.finalNorm.beta"))
        #expect(gpt.parameters.first { $0.name == "outputProjection.weight" }?.tensor.shape == [16, 32])
        #expect(!gptNames.contains { $0.contains("crossAttention") })

        let original = try EncoderDecoderModel(configuration: .tinyOriginal, seed: 1)
        let originalNames = original.parameters.map(\.name)
        #expect(originalNames.contains("decoder.layers.0.crossAttention.query.weight"))
        #expect(originalNames.contains("decoder.layers.1.crossAttentionNorm.gamma"))
        #expect(!originalNames.contains("positionEmbedding.weight"))     // sinusoidal: nothing learned
        #expect(!originalNames.contains("outputProjection.weight"))      // tied
    }

    // MARK: Outputs

    @Test("the causal mask hides the future: logits at t ignore tokens after t",
          arguments: [TransformerConfiguration.tiny, .tinyOriginal])
    func causalPrefix(configuration: TransformerConfiguration) throws {
        let model = try DecoderOnlyModel(configuration: configuration, seed: 7)
        let a = try model.forward([3, 7, 1, 4, 9, 2]).logits
        let b = try model.forward([3, 7, 1, 4, 20, 5]).logits
        #expect(a.shape == [6, 32])
        for t in 0..<4 {
            let difference = zip(a.row(t), b.row(t)).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-6, "position \(t)")
        }
        // Position 4 sees the changed token, so its logits do change.
        #expect((zip(a.row(4), b.row(4)).map { abs($0 - $1) }.max() ?? 0) > 1e-3)

        // The same in a batch (with padding on the shorter sequence).
        let batch = try model.forward(batch: [[3, 7, 1, 4, 9, 2], [3, 7, 1, 4, 20]], padID: 0).logits
        #expect(batch.shape == [2, 6, 32])
        let rows = try batch.reshaped([12, 32])
        for t in 0..<4 {
            let difference = zip(rows.row(t), rows.row(6 + t)).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-5, "batched position \(t)")
        }
        expectAllClose(try batch.slice(axis: 0, range: 0..<1).reshaped([6, 32]), a, tolerance: 1e-5)
    }

    @Test func tiedAndUntiedOutputProjections() throws {
        let tied = try DecoderOnlyModel(configuration: .tiny, seed: 8)
        #expect(tied.outputProjection == nil)
        let out = try tied.forward([1, 2, 3])
        // logits[t, v] = h[t] · E[v], the token table reused as the output matrix.
        for t in 0..<3 {
            for v in [0, 5, 31] {
                let expected = zip(out.hiddenStates.row(t), tied.tokenEmbedding.weight.row(v)).map(*).reduce(0, +)
                #expect(abs(out.logits[t, v] - expected) < 1e-4)
            }
        }
        var config = TransformerConfiguration.tiny
        config.tiedOutput = false
        let untied = try DecoderOnlyModel(configuration: config, seed: 8)
        let projection = try #require(untied.outputProjection)
        let untiedOut = try untied.forward([1, 2, 3])
        expectAllClose(untiedOut.logits, try untiedOut.hiddenStates.matmul(projection.weight), tolerance: 1e-5)
    }

    @Test func sameSeedSameNumbers() throws {
        let a = try EncoderDecoderModel(configuration: .tiny, seed: 42)
        let b = try EncoderDecoderModel(configuration: .tiny, seed: 42)
        let c = try EncoderDecoderModel(configuration: .tiny, seed: 43)
        let ids = (source: [4, 5, 6, 7], target: [1, 8])
        let la = try a.forward(source: ids.source, target: ids.target).logits
        #expect(la == (try b.forward(source: ids.source, target: ids.target).logits))
        #expect(la != (try c.forward(source: ids.source, target: ids.target).logits))
        #expect(la.shape == [2, 32])
    }

    @Test func encoderOnlyPaddingIsInvisible() throws {
        let model = try EncoderOnlyModel(configuration: .tinyBERT, seed: 9)
        // The shorter sequence first: the trace records sequence 0.
        let out = try model.forward(batch: [[5, 6, 7], [8, 9, 10, 11, 12]], padID: 0,
                                    tokens: ["the", "cat", "sat"], recordTrace: true)
        #expect(out.hiddenStates.shape == [2, 5, 16])
        #expect(out.paddingMask == paddingMask(lengths: [3, 5], length: 5))
        let trace = try #require(out.trace)
        #expect(trace.architecture == "encoder-only")
        #expect(trace.entries.count == 2 * 4)
        for entry in trace.entries {
            #expect(entry.kind == .encoderSelf)
            #expect(entry.keyTokens == ["the", "cat", "sat", "<pad>", "<pad>"])
            for row in entry.weights {
                #expect(row[3] == 0 && row[4] == 0, "layer \(entry.layer) head \(entry.head)")
                #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            }
        }
        // Every head of every layer, for both sequences, in the raw weights too.
        for layer in out.layers {
            for head in 0..<4 {
                for query in 0..<5 {
                    #expect(weightRow(layer.attention.weights, [0, head], row: query)[3...].allSatisfy { $0 == 0 })
                    #expect(weightRow(layer.attention.weights, [1, head], row: query).allSatisfy { $0 > 0 })
                }
            }
        }
        // So the real tokens come out exactly as when the sequence runs alone.
        let alone = try model.forward([5, 6, 7]).hiddenStates
        let padded = try out.hiddenStates.slice(axis: 0, range: 0..<1).reshaped([5, 16]).slice(axis: 0, range: 0..<3)
        expectAllClose(padded, alone, tolerance: 1e-4)
        // Bidirectional: changing the last token changes the first token's state.
        let changed = try model.forward([5, 6, 8]).hiddenStates
        #expect(changed.row(0) != alone.row(0))
    }

    // MARK: Errors

    @Test func configurationErrorsNameTheSetting() throws {
        var c = TransformerConfiguration.tiny
        c.heads = 5
        let heads = try #require(throws: TransformerError.self) { try c.validate() }
        #expect(heads.description
                == "TransformerConfiguration.heads: modelDimension 16 is not divisible by 5 heads (each head gets modelDimension / heads features)")
        #expect(throws: TransformerError.self) { try DecoderOnlyModel(configuration: c, seed: 1) }
        #expect(throws: TransformerError.self) { try EncoderOnlyModel(configuration: c, seed: 1) }
        #expect(throws: TransformerError.self) { try EncoderDecoderModel(configuration: c, seed: 1) }

        for (keyPath, name) in [(\TransformerConfiguration.layers, "layers"), (\.modelDimension, "modelDimension"),
                                (\.heads, "heads"), (\.feedForwardDimension, "feedForwardDimension"),
                                (\.vocabularySize, "vocabularySize"), (\.maxLength, "maxLength")] {
            var bad = TransformerConfiguration.tiny
            bad[keyPath: keyPath] = 0
            let error = try #require(throws: TransformerError.self) { try bad.validate() }
            #expect(error == .invalidConfiguration(field: "TransformerConfiguration.\(name)",
                                                   reason: "must be positive, not 0"))
        }
        for preset in [TransformerConfiguration.tiny, .tinyOriginal, .tinyBERT, .tinyGPT, .small] {
            try preset.validate()
        }
        #expect(TransformerConfiguration.tiny.headDimension == 4)
    }

    @Test func inputErrorsAreClear() throws {
        let gpt = try DecoderOnlyModel(configuration: .tiny, seed: 1)
        let outOfRange = try #require(throws: TransformerError.self) { try gpt.forward([1, 32]) }
        #expect(outOfRange.description.contains("token id 32 at position 1"))
        let tooLong = try #require(throws: TransformerError.self) { try gpt.forward(Array(repeating: 1, count: 33)) }
        #expect(tooLong == .sequenceTooLong(length: 33, maxLength: 32))
        #expect(throws: TransformerError.self) { try gpt.forward([]) }
        let labels = try #require(throws: TransformerError.self) { try gpt.forward([1, 2], tokens: ["a"]) }
        #expect(labels.description.contains("1 token labels given for 2 token ids"))
        let pad = try #require(throws: TransformerError.self) { try gpt.forward(batch: [[1]], padID: 40) }
        #expect(pad.description.contains("pad id 40"))
        #expect(throws: TransformerError.self) { try gpt.forward(batch: [], padID: 0) }

        // Sinusoidal positions have no table, so they go past maxLength.
        let original = try DecoderOnlyModel(configuration: .tinyOriginal, seed: 1)
        #expect(try original.forward(Array(repeating: 1, count: 40)).logits.shape == [40, 32])

        let t5 = try EncoderDecoderModel(configuration: .tiny, seed: 1)
        let counts = try #require(throws: TransformerError.self) {
            try t5.forward(sourceBatch: [[1], [2]], targetBatch: [[3]], padID: 0)
        }
        #expect(counts.description.contains("2 source sequences but 1 target sequences"))
    }
}
