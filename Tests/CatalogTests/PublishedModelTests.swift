import Testing
import TensorCore
@testable import Transformer
@testable import Catalog

@Suite("Published models and their parameter counts")
struct PublishedModelTests {
    // MARK: Independent formulas (no weightShapes)

    /// One layer of width d and feed-forward width ff, counted by hand:
    /// attention 4·(d² + d), feed-forward d·ff + ff + ff·d + d, two LayerNorms of 2d each;
    /// a decoder layer with cross-attention adds one more attention and one more LayerNorm.
    static func layerCount(d: Int, ff: Int, crossAttention: Bool = false) -> Int {
        let attention = 4 * (d * d + d)
        let feedForward = 2 * d * ff + ff + d
        return crossAttention ? 2 * attention + feedForward + 3 * 2 * d : attention + feedForward + 2 * 2 * d
    }

    /// GPT-2/GPT-3: token and position tables, L layers, a final LayerNorm.
    static func gptCount(layers: Int, d: Int, vocabulary: Int = 50_257, context: Int) -> Int {
        vocabulary * d + context * d + layers * layerCount(d: d, ff: 4 * d) + 2 * d
    }

    /// BERT: word, position and token-type tables, the embedding LayerNorm, L layers, the pooler.
    static func bertCount(layers: Int, d: Int) -> Int {
        (30_522 + 512 + 2) * d + 2 * d + layers * layerCount(d: d, ff: 4 * d) + (d * d + d)
    }

    @Test func bigModelsAgainstTheFormula() throws {
        #expect(Self.gptCount(layers: 12, d: 768, context: 1024) == 124_439_808)
        #expect(PublishedModel.gpt2Small.computedParameters == 124_439_808)
        #expect(Self.bertCount(layers: 12, d: 768) == 109_482_240)
        #expect(PublishedModel.bertBase.computedParameters == 109_482_240)
        let gpt3 = PublishedModel.gpt3_175B.computedParameters
        #expect(gpt3 == Self.gptCount(layers: 96, d: 12288, context: 2048))
        #expect(gpt3 == 174_604_259_328)
        #expect(abs(Double(gpt3) - 174.6e9) < 0.05e9)
    }

    /// Every catalog model against the formula of its family and against the totals worked out
    /// separately (a short Python script over the same per-layer formula).
    @Test func everyCatalogModel() throws {
        let expected: [String: Int] = [
            "transformer-base": 63_082_496, "gpt-1": 116_534_784,
            "bert-base": 109_482_240, "bert-large": 335_141_888,
            "gpt2-small": 124_439_808, "gpt2-medium": 354_823_168, "gpt2-large": 774_030_080,
            "gpt2-xl": 1_557_611_200,
            "gpt3-small": 125_226_240, "gpt3-medium": 355_871_744, "gpt3-large": 760_300_032,
            "gpt3-xl": 1_315_723_264, "gpt3-2.7b": 2_651_553_280, "gpt3-6.7b": 6_658_404_352,
            "gpt3-13b": 12_952_938_780, "gpt3-175b": 174_604_259_328,
        ]
        #expect(PublishedModel.catalog.count == expected.count)
        #expect(Set(PublishedModel.catalog.map(\.name)).count == PublishedModel.catalog.count)
        for model in PublishedModel.catalog {
            let formula: Int
            switch model.family {
            case "Transformer":
                // 6 encoder + 6 decoder layers and one shared table; sinusoidal positions, post-norm.
                formula = model.vocabularySize * model.modelDimension
                    + model.layers * Self.layerCount(d: model.modelDimension, ff: model.feedForwardDimension)
                    + model.layers * Self.layerCount(d: model.modelDimension, ff: model.feedForwardDimension,
                                                     crossAttention: true)
            case "GPT-1":
                // Post-norm: no final LayerNorm.
                formula = (model.vocabularySize + 512) * 768 + 12 * Self.layerCount(d: 768, ff: 3072)
            case "BERT":
                formula = Self.bertCount(layers: model.layers, d: model.modelDimension)
            default:
                formula = Self.gptCount(layers: model.layers, d: model.modelDimension,
                                        context: model.contextLength ?? 0)
            }
            #expect(model.computedParameters == formula, "\(model.name)")
            #expect(model.computedParameters == expected[model.name], "\(model.name)")
            #expect(PublishedModel.named(model.name) == model)
            #expect(!model.notes.isEmpty && !model.source.isEmpty && !model.trainingData.isEmpty)
            // Computed and published never differ by more than GPT-2's miscount (6.4%).
            let gap = abs(Double(model.computedParameters - model.publishedParameters)) / Double(model.publishedParameters)
            #expect(gap < 0.065, "\(model.name): \(model.computedParameters) against \(model.publishedLabel)")
        }
    }

    @Test func catalogSizes() throws {
        let medium = try #require(PublishedModel.named("gpt2-medium"))
        #expect(medium.layers == 24 && medium.modelDimension == 1024 && medium.heads == 16)
        #expect(medium.publishedParameters == 345_000_000 && medium.publishedLabel == "345M")
        let gpt1 = PublishedModel.gpt1
        #expect(gpt1.layers == 12 && gpt1.modelDimension == 768 && gpt1.feedForwardDimension == 3072
                && gpt1.vocabularySize == 40_478 && gpt1.contextLength == 512)
        #expect(gpt1.trainingData.contains("7,000"))
        let big = PublishedModel.gpt3_175B
        #expect(big.layers == 96 && big.modelDimension == 12288 && big.heads == 96 && big.contextLength == 2048)
        #expect(PublishedModel.gpt3_13B.modelDimension == 5140)
        #expect(PublishedModel.bertLarge.heads == 16 && PublishedModel.bertLarge.feedForwardDimension == 4096)
        #expect(PublishedModel.transformerBase.contextLength == nil)
        #expect(PublishedModel.named("gpt-5") == nil)
    }

    @Test func shapesNameWhatTheArchitectureHas() {
        let base = Dictionary(uniqueKeysWithValues: weightShapes(of: PublishedModel.transformerBase).map { ($0.name, $0.shape) })
        #expect(base["positionEmbedding.weight"] == nil)                      // sinusoidal
        #expect(base["decoder.layers.5.crossAttentionNorm.gamma"] == [512])   // three norms per decoder layer
        #expect(base["decoder.layers.6.selfAttention.query.weight"] == nil)
        #expect(base["encoder.finalNorm.gamma"] == nil && base["outputProjection.weight"] == nil)

        let bert = Dictionary(uniqueKeysWithValues: weightShapes(of: PublishedModel.bertBase).map { ($0.name, $0.shape) })
        #expect(bert["tokenTypeEmbedding.weight"] == [2, 768])
        #expect(bert["embeddingNorm.beta"] == [768])
        #expect(bert["pooler.weight"] == [768, 768] && bert["pooler.bias"] == [768])
        #expect(bert["encoder.layers.11.feedForward.expand.weight"] == [768, 3072])

        let gpt2 = Dictionary(uniqueKeysWithValues: weightShapes(of: PublishedModel.gpt2Small).map { ($0.name, $0.shape) })
        #expect(gpt2["positionEmbedding.weight"] == [1024, 768])
        #expect(gpt2["decoder.finalNorm.gamma"] == [768])
        #expect(gpt2["decoder.layers.0.crossAttention.query.weight"] == nil)
        let gpt1 = Set(weightShapes(of: PublishedModel.gpt1).map(\.name))
        #expect(!gpt1.contains("decoder.finalNorm.gamma"))
    }

    // MARK: Small configurations

    @Test func smallConfigurationsAgainstHandCounts() {
        // tiny: d 16, ff 64, vocab 32, 32 learned positions, 2 layers, pre-norm, tied.
        //   layer = 4·(256 + 16) + (1024 + 64 + 1024 + 16) + 2·32 = 3280
        //   decoder-only = 512 + 512 + 2·3280 + 32 = 7616; encoder-only the same
        //   decoder layer with cross-attention = 3280 + 1088 + 32 = 4400
        //   encoder-decoder = 1024 + (2·3280 + 32) + (2·4400 + 32) = 16448
        #expect(parameterCount(of: PublishedModel(configuration: .tiny, architecture: .decoderOnly)) == 7616)
        #expect(parameterCount(of: PublishedModel(configuration: .tiny, architecture: .encoderOnly)) == 7616)
        #expect(parameterCount(of: PublishedModel(configuration: .tiny, architecture: .encoderDecoder)) == 16448)
        var untied = TransformerConfiguration.tiny
        untied.tiedOutput = false
        #expect(parameterCount(of: PublishedModel(configuration: untied, architecture: .decoderOnly)) == 7616 + 16 * 32)
        // An encoder-only model returns hidden states: no output projection, tied or not.
        #expect(parameterCount(of: PublishedModel(configuration: untied, architecture: .encoderOnly)) == 7616)

        // A one-layer BERT-like model, d 8, ff 32, vocab 20, 10 positions, post-norm:
        //   tables 160 + 80 + token types 2·8 = 16, embedding norm 16,
        //   layer 4·(64 + 8) + (256 + 32 + 256 + 8) + 2·16 = 288 + 552 + 32 = 872, pooler 64 + 8 = 72
        //   total 160 + 80 + 16 + 16 + 872 + 72 = 1216
        let miniBERT = PublishedModel(
            name: "mini-bert", displayName: "mini BERT", family: "test", year: 2024, architecture: .encoderOnly,
            layers: 1, modelDimension: 8, heads: 2, feedForwardDimension: 32, vocabularySize: 20, contextLength: 10,
            positions: .learned, tiedOutput: true, normPlacement: .post, activation: .gelu, tokenTypes: 2,
            embeddingNorm: true, pooler: true, publishedParameters: 1216, publishedLabel: "1.2K",
            trainingData: "none", source: "this test", notes: "hand count")
        #expect(parameterCount(of: miniBERT) == 1216)
        #expect(weightShapes(of: miniBERT).count == 5 + 16 + 2)   // tables and embedding norm, one layer, pooler
    }

    static let configurations: [TransformerConfiguration] = {
        var untied = TransformerConfiguration.tiny
        untied.tiedOutput = false
        var sinusoidalPre = TransformerConfiguration.small
        sinusoidalPre.positions = .sinusoidal
        sinusoidalPre.tiedOutput = false
        var oneLayer = TransformerConfiguration.tinyBERT
        oneLayer.layers = 1
        oneLayer.feedForwardDimension = 24
        return [.tiny, .tinyOriginal, .tinyBERT, .small, untied, sinusoidalPre, oneLayer]
    }()

    @Test("shapes equal the instantiated models' weights", arguments: configurations)
    func shapesMatchInstantiatedModels(configuration: TransformerConfiguration) throws {
        let models: [(PublishedModel.Architecture, [(name: String, tensor: Tensor)], Int)] = [
            try { let m = try EncoderOnlyModel(configuration: configuration, seed: 3)
                  return (.encoderOnly, m.parameters, m.parameterCount) }(),
            try { let m = try DecoderOnlyModel(configuration: configuration, seed: 3)
                  return (.decoderOnly, m.parameters, m.parameterCount) }(),
            try { let m = try EncoderDecoderModel(configuration: configuration, seed: 3)
                  return (.encoderDecoder, m.parameters, m.parameterCount) }(),
        ]
        for (architecture, parameters, count) in models {
            let shapes = weightShapes(of: configuration, architecture: architecture)
            #expect(shapes.map(\.name) == parameters.map(\.name), "\(architecture)")
            #expect(shapes.map(\.shape) == parameters.map(\.tensor.shape), "\(architecture)")
            #expect(parameterCount(of: PublishedModel(configuration: configuration, architecture: architecture)) == count)
        }
    }
}
