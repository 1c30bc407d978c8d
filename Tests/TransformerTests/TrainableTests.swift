import Foundation
import Testing
import TensorCore
@testable import Transformer
@testable import Training

@Suite struct TrainableTests {
    // MARK: Layers against their inference twins

    @Test func multiHeadAttentionMatchesInferenceLayer() throws {
        var generator = SeededGenerator(seed: 11)
        let trainable = try TrainableMultiHeadAttention(MultiHeadAttention(modelDimension: 8, heads: 2, using: &generator))
        // The inference layer gets the trainable one's values through its weight-taking inits.
        let inference = try MultiHeadAttention(
            query: Linear(weight: trainable.query.weight.value, bias: trainable.query.bias?.value),
            key: Linear(weight: trainable.key.weight.value, bias: trainable.key.bias?.value),
            value: Linear(weight: trainable.value.weight.value, bias: trainable.value.bias?.value),
            output: Linear(weight: trainable.output.weight.value, bias: trainable.output.bias?.value),
            heads: 2)
        // Non-zero biases, so that the bias paths are compared too.
        for linear in [trainable.query, trainable.key, trainable.value, trainable.output] {
            linear.bias!.value = randomTensor([8], seed: UInt64(linear.weight.value.scalars[0].bitPattern))
        }
        let withBiases = try trainable.inferenceLayer()

        let x = randomTensor([2, 5, 8], seed: 1)
        let memory = randomTensor([2, 3, 8], seed: 2)
        let selfMask = try combineMasks(causalMask(size: 5), paddingMask(lengths: [5, 4], length: 5))
        let memoryMask = paddingMask(lengths: [3, 2], length: 3)

        // Zero biases: the layer built by hand from the weights.
        let plain = try TrainableMultiHeadAttention(inference)
        let a = try plain(Variable(x), mask: selfMask)
        let b = try inference(x, mask: selfMask)
        expectAllClose(a.output.value, b.output, tolerance: 1e-5, "self-attention output")
        expectAllClose(a.weights, b.weights, tolerance: 1e-5, "self-attention weights")

        // Random biases, cross-attention with a padding mask, and an unmasked self-attention.
        let c = try trainable(query: Variable(x), keyValue: Variable(memory), mask: memoryMask)
        let d = try withBiases(query: x, keyValue: memory, mask: memoryMask)
        expectAllClose(c.output.value, d.output, tolerance: 1e-5, "cross-attention output")
        expectAllClose(c.weights, d.weights, tolerance: 1e-5, "cross-attention weights")
        let e = try trainable(Variable(x))
        let f = try withBiases(x)
        expectAllClose(e.output.value, f.output, tolerance: 1e-5, "unmasked output")
        #expect(c.weights.shape == [2, 2, 5, 3])

        // Masked keys get exactly zero weight: sequence 1 cannot see source position 2.
        #expect(weightRow(c.weights, [1, 0], row: 0)[2] == 0)
        #expect(trainable.parameters.names == ["query.weight", "query.bias", "key.weight", "key.bias",
                                               "value.weight", "value.bias", "output.weight", "output.bias"])
    }

    @Test func encoderAndDecoderLayersMatchInferenceLayers() throws {
        var generator = SeededGenerator(seed: 5)
        for placement in NormPlacement.allCases {
            let encoder = try TrainableEncoderLayer(EncoderLayer(modelDimension: 8, heads: 2, feedForwardDimension: 16,
                                                                 activation: .relu, normPlacement: placement,
                                                                 using: &generator))
            let decoder = try TrainableDecoderLayer(DecoderLayer(modelDimension: 8, heads: 2, feedForwardDimension: 16,
                                                                 activation: .gelu, normPlacement: placement,
                                                                 crossAttention: true, using: &generator))
            let x = randomTensor([2, 4, 8], seed: 3)
            let memory = randomTensor([2, 3, 8], seed: 4)
            let sourceMask = paddingMask(lengths: [3, 2], length: 3)
            let targetMask = try combineMasks(causalMask(size: 4), paddingMask(lengths: [4, 3], length: 4))

            let encoderMask = paddingMask(lengths: [4, 2], length: 4)
            let encoded = try encoder(Variable(x), mask: encoderMask)
            let encodedReference = try encoder.inferenceLayer()(x, mask: encoderMask)
            expectAllClose(encoded.output.value, encodedReference.output, tolerance: 1e-5, "encoder \(placement)")

            let decoded = try decoder(Variable(x), memory: Variable(memory), selfMask: targetMask,
                                      memoryMask: sourceMask)
            let decodedReference = try decoder.inferenceLayer()(x, memory: memory, selfMask: targetMask,
                                                                memoryMask: sourceMask)
            expectAllClose(decoded.output.value, decodedReference.output, tolerance: 1e-5, "decoder \(placement)")
            expectAllClose(decoded.crossAttentionWeights, decodedReference.crossAttention!.weights, tolerance: 1e-5)

            let decoderNames = try decoder.inferenceLayer().parameters.map(\.name)
            let encoderNames = try encoder.inferenceLayer().parameters.map(\.name)
            #expect(decoder.parameters.names == decoderNames)
            #expect(encoder.parameters.names == encoderNames)
        }
    }

    /// Loading an inference `EncoderDecoderModel`'s weights into a `TrainableSeq2Seq` with a
    /// shared embedding and tied output gives the same names, shapes and logits.
    @Test func seq2SeqMatchesInferenceEncoderDecoderModel() throws {
        var configuration = TransformerConfiguration.tiny
        configuration.positions = .sinusoidal
        configuration.vocabularySize = 12
        let inference = try EncoderDecoderModel(configuration: configuration, seed: 3)
        let trainable = try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 12,
                                             targetVocabularySize: 12, seed: 99, sharedEmbedding: true)
        #expect(trainable.parameters.names == inference.parameters.map(\.name))
        #expect(trainable.parameters.values.map(\.value.shape) == inference.parameters.map(\.tensor.shape))
        try trainable.parameters.load(Dictionary(uniqueKeysWithValues: inference.parameters.map { ($0.name, $0.tensor) }))

        let source = [[4, 5, 6, 7], [8, 9, 0, 0]]
        let target = [[1, 10, 11], [1, 4, 0]]
        let expected = try inference.forward(sourceBatch: source, targetBatch: target, padID: 0).logits
        let got = try trainable.logits(sourceBatch: source, decoderInputBatch: target, padID: 0).value
        expectAllClose(got, expected, tolerance: 1e-4, "logits")
    }

    @Test func separateEmbeddingsUseTheirOwnNames() throws {
        var configuration = TransformerConfiguration.tiny
        configuration.layers = 1
        configuration.tiedOutput = false
        let model = try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 9,
                                         targetVocabularySize: 7, seed: 1)
        let names = model.parameters.names
        #expect(names.first == "sourceEmbedding.weight")
        #expect(names.contains("targetEmbedding.weight"))
        #expect(names.contains("encoder.layers.0.attention.query.weight"))
        #expect(names.contains("decoder.layers.0.crossAttention.key.bias"))
        #expect(names.contains("decoder.finalNorm.gamma"))
        #expect(names.last == "outputProjection.weight")
        #expect(model.parameters["outputProjection.weight"]?.shape == [16, 7])
        #expect(throws: TransformerError.self) {
            try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 9, targetVocabularySize: 7,
                                 seed: 1, sharedEmbedding: true)
        }
    }

    // MARK: Teacher forcing

    @Test func shiftedRightOnKnownIDs() {
        let shifted = shiftedRight([7, 8, 9], startID: 1, endID: 2)
        #expect(shifted.decoderInput == [1, 7, 8, 9])
        #expect(shifted.labels == [7, 8, 9, 2])
        let empty = shiftedRight([], startID: 1, endID: 2)
        #expect(empty.decoderInput == [1])
        #expect(empty.labels == [2])
    }

    @Test func causalMaskHidesTheFuture() throws {
        var configuration = TransformerConfiguration.tiny
        configuration.layers = 2
        let model = try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 10,
                                         targetVocabularySize: 10, seed: 4)
        let source = [[4, 5, 6]]
        let original = [1, 3, 4, 5, 6, 7]
        let a = try model.logits(sourceBatch: source, decoderInputBatch: [original], padID: 0).value
        let v = 10
        for t in 0..<(original.count - 1) {
            var changed = original
            for later in (t + 1)..<original.count { changed[later] = (changed[later] + 3) % 10 == 0 ? 9 : (changed[later] + 3) % 10 }
            let b = try model.logits(sourceBatch: source, decoderInputBatch: [changed], padID: 0).value
            let visible = 0..<((t + 1) * v)
            let same = zip(a.scalars[visible], b.scalars[visible]).allSatisfy { abs($0 - $1) <= 1e-6 }
            #expect(same, "logits at positions ≤ \(t) changed when later tokens changed")
            // ...while the logits after t do change (the check is not vacuous).
            let after = ((t + 1) * v)..<a.count
            #expect(zip(a.scalars[after], b.scalars[after]).contains { abs($0 - $1) > 1e-4 })
        }
    }

    @Test func padPositionsAddNothingToTheLoss() throws {
        var configuration = TransformerConfiguration.tiny
        configuration.layers = 1
        let model = try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 10,
                                         targetVocabularySize: 10, seed: 8)
        let (input, labels) = shiftedRight([4, 5], startID: 1, endID: 2)
        let alone = try model.loss(sourceBatch: [[6, 7, 8]], decoderInputBatch: [input],
                                   targetBatch: [labels], padID: 0)
        // The same pair padded (source and target) inside a batch with a longer pair: the mean
        // over both pairs' real labels, where the short pair's part is what it was alone.
        let (longInput, longLabels) = shiftedRight([4, 5, 6, 7], startID: 1, endID: 2)
        let longAlone = try model.loss(sourceBatch: [[6, 7, 8, 9, 3]], decoderInputBatch: [longInput],
                                       targetBatch: [longLabels], padID: 0)
        let both = try model.loss(sourceBatch: [[6, 7, 8], [6, 7, 8, 9, 3]], decoderInputBatch: [input, longInput],
                                  targetBatch: [labels, longLabels], padID: 0)
        let expected = (alone.value.scalars[0] * 3 + longAlone.value.scalars[0] * 5) / 8
        #expect(abs(both.value.scalars[0] - expected) < 1e-5)

        try both.backward()
        let missing = model.parameters.entries.filter { $0.variable.gradient == nil }.map(\.name)
        #expect(missing.isEmpty, "no gradient for \(missing)")
    }

    /// Back-propagation through the whole encoder–decoder agrees with finite differences.
    @Test func seq2SeqGradientsMatchFiniteDifferences() throws {
        var configuration = TransformerConfiguration.tiny
        configuration.layers = 1
        configuration.modelDimension = 8
        configuration.heads = 2
        configuration.feedForwardDimension = 16
        configuration.tiedOutput = false
        let model = try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 9,
                                         targetVocabularySize: 8, seed: 21)
        let sources = [[4, 5, 6], [7, 8]]
        let shifted = [[4, 5, 6], [7]].map { shiftedRight($0, startID: 1, endID: 2) }
        func loss() throws -> Variable {
            try model.loss(sourceBatch: sources, decoderInputBatch: shifted.map(\.decoderInput),
                           targetBatch: shifted.map(\.labels), padID: 0)
        }
        model.parameters.zeroGradients()
        try loss().backward()
        let checked = ["sourceEmbedding.weight", "targetEmbedding.weight", "encoder.layers.0.attention.query.weight",
                       "encoder.layers.0.attentionNorm.gamma", "decoder.layers.0.selfAttention.key.weight",
                       "decoder.layers.0.crossAttention.value.bias", "decoder.layers.0.feedForward.expand.weight",
                       "decoder.finalNorm.beta", "outputProjection.weight"]
        for name in checked {
            let variable = try #require(model.parameters[name])
            let gradient = try #require(variable.gradient, "no gradient for \(name)")
            // Three scalars per tensor; row 4 of the embeddings is a token that is used.
            let count = variable.value.count
            let indices = name.hasSuffix("Embedding.weight") ? [4 * variable.shape[1], 4 * variable.shape[1] + 3, 7 * variable.shape[1] + 1]
                : [0, count / 2, count - 1]
            for index in indices {
                let original = variable.value.scalars[index]
                let h: Float = 1e-2
                var scalars = variable.value.scalars
                scalars[index] = original + h
                variable.value = try Tensor(shape: variable.shape, scalars: scalars)
                let plus = try loss().value.scalars[0]
                scalars[index] = original - h
                variable.value = try Tensor(shape: variable.shape, scalars: scalars)
                let minus = try loss().value.scalars[0]
                scalars[index] = original
                variable.value = try Tensor(shape: variable.shape, scalars: scalars)
                let numeric = (plus - minus) / (2 * h)
                let analytic = gradient.scalars[index]
                #expect(abs(numeric - analytic) <= 1e-3 + 1e-2 * abs(analytic),
                        "\(name)[\(index)]: backward \(analytic), finite difference \(numeric)")
            }
        }
    }

    // MARK: The overfit test

    /// A tiny model must be able to memorise a handful of pairs: near-zero loss, then greedy
    /// decoding reproduces every training target exactly.
    @Test func overfitsAHandfulOfPairs() throws {
        let corpus = ParallelCorpus.generate(seed: 7, trainCount: 200, heldOutCount: 10)
        let pairs = Array(corpus.train.prefix(6))
        #expect(pairs[0].sourceText.hasPrefix("我是一个学生"))
        print("TrainableTests overfit pairs: " + pairs.map { "\($0.sourceText) → \($0.targetText)" }.joined(separator: " | "))
        let sourceIDs = Dictionary(uniqueKeysWithValues: corpus.sourceVocabulary.enumerated().map { ($1, $0) })
        let targetIDs = Dictionary(uniqueKeysWithValues: corpus.targetVocabulary.enumerated().map { ($1, $0) })
        let (pad, start, end) = (targetIDs["<pad>"]!, targetIDs["<s>"]!, targetIDs["</s>"]!)
        #expect(sourceIDs["<pad>"] == pad)
        let sources = pairs.map { $0.source.map { sourceIDs[$0]! } }
        let targets = pairs.map { $0.target.map { targetIDs[$0]! } }
        let shifted = targets.map { shiftedRight($0, startID: start, endID: end) }

        let configuration = TransformerConfiguration(
            layers: 1, modelDimension: 32, heads: 4, feedForwardDimension: 64, vocabularySize: 1, maxLength: 32,
            activation: .gelu, normPlacement: .pre, positions: .sinusoidal, tiedOutput: true)
        let model = try TrainableSeq2Seq(configuration: configuration,
                                         sourceVocabularySize: corpus.sourceVocabulary.count,
                                         targetVocabularySize: corpus.targetVocabulary.count, seed: 1)
        let steps = 200
        var optimizer = AdamW(learningRate: 0, weightDecay: 0)
        let schedule = LearningRateSchedule(peakRate: 1e-2, warmupSteps: 20,
                                            decay: .cosine(totalSteps: steps, minimumRate: 1e-3))
        let clock = ContinuousClock()
        let started = clock.now
        var loss: Float = .infinity
        var used = 0
        for step in 1...steps {
            model.parameters.zeroGradients()
            let value = try model.loss(sourceBatch: sources, decoderInputBatch: shifted.map(\.decoderInput),
                                       targetBatch: shifted.map(\.labels), padID: pad)
            loss = value.value.scalars[0]
            used = step
            if loss < 0.01 { break }
            try value.backward()
            model.parameters.clipGradients(maxNorm: 1)
            optimizer.learningRate = schedule.rate(at: step)
            optimizer.update(model.parameters)
        }
        let elapsed = clock.now - started
        print("TrainableTests overfit: \(used) steps, final loss \(loss), \(elapsed)")
        #expect(loss < 0.05, "loss \(loss) after \(used) steps")

        for (pair, (source, target)) in zip(pairs, zip(sources, targets)) {
            let decoded = try model.greedyDecode(source: source, startID: start, endID: end, maxLength: 12)
            #expect(decoded == target, "\(pair.sourceText) → \(decoded.map { corpus.targetVocabulary[$0] })")
        }
    }
}
