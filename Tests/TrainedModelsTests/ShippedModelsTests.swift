import Foundation
import Testing
import ModelIO
import TensorCore
import TrainedModels
import Transformer
import Training

/// The three models shipped with the package: they load, reproduce the loss recorded when they
/// were trained (`tx train translator|lm|bert`, default options, seed 7), and do their job on
/// sentences they never saw in training.
@Suite struct ShippedModelsTests {
    /// The corpus they were trained on (the defaults of `tx train`).
    static let corpus = ParallelCorpus.generate(seed: 7, trainCount: 3000, heldOutCount: 300)
    /// A fixed batch: the first eight training pairs.
    static var batch: [ParallelCorpus.Pair] { Array(corpus.train.prefix(8)) }

    // Mean cross-entropy of the shipped weights on `batch`, recorded when they were committed.
    // Any change to the weights, the loader or the forward pass moves these.
    static let recordedTranslatorLoss: Float = 0.0117063075
    static let recordedLanguageModelLoss: Float = 1.2308995
    static let recordedTinyBERTLoss: Float = 0.6018355

    @Test func theTranslatorReproducesItsRecordedLossAndTranslatesHeldOutSentences() throws {
        let translator = try TrainedModels.translator()
        #expect(translator.sourceVocabulary == Self.corpus.sourceVocabulary)
        #expect(translator.targetVocabulary == Self.corpus.targetVocabulary)
        let targetIDs = Dictionary(uniqueKeysWithValues: translator.targetVocabulary.enumerated().map { ($1, $0) })
        let shifted = Self.batch.map { shiftedRight($0.target.map { targetIDs[$0]! }, startID: translator.startID,
                                                     endID: translator.endID) }
        let loss = try translator.model.loss(sourceBatch: Self.batch.map { translator.sourceIDs($0.source) },
                                             decoderInputBatch: shifted.map(\.decoderInput),
                                             targetBatch: shifted.map(\.labels), padID: translator.padID)
        #expect(abs(loss.value.scalars[0] - Self.recordedTranslatorLoss) <= 1e-5)
        // Held-out pairs combine slots never seen together in training.
        for pair in Self.corpus.heldOut.prefix(6) {
            #expect(try translator.translate(pair.source) == pair.target, "\(pair.sourceText)")
        }
        #expect(try translator.translate(ParallelCorpus.tokenizeChinese("她昨天在图书馆看到了一只鸟。"))
            == ParallelCorpus.tokenizeEnglish("she saw a bird in the library yesterday."))
    }

    @Test func theLanguageModelReproducesItsRecordedLossAndBeatsTheBaselines() throws {
        let model = try TrainedModels.languageModel()
        #expect(model.vocabulary == Self.corpus.targetVocabulary)
        let shifted = Self.batch.map { shiftedRight(model.ids($0.target), startID: model.startID, endID: model.endID) }
        let loss = try model.model.loss(inputs: shifted.map(\.decoderInput), labels: shifted.map(\.labels),
                                        padID: model.padID, ignoreIndex: model.padID)
        #expect(abs(loss.value.scalars[0] - Self.recordedLanguageModelLoss) <= 1e-5)
        let score = try scoreNextToken(model, on: Self.corpus.heldOut.prefix(40).map(\.target),
                                       trainSentences: Self.corpus.train.map(\.target))
        #expect(score.accuracy > score.unigramAccuracy + 0.3)
        #expect(score.accuracy >= score.bigramAccuracy)
        // After "she likes" only a plural object can follow.
        let probabilities = try model.nextTokenProbabilities(after: ["she", "likes"])
        let plurals = ParallelCorpus.objects.map(\.plural)
        let mass = plurals.compactMap { model.vocabulary.firstIndex(of: $0) }.map { probabilities[$0] }.reduce(0, +)
        #expect(mass > 0.8)
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        #expect(plurals.contains(model.vocabulary[best]))
    }

    @Test func theTinyBERTReproducesItsRecordedLossAndFillsInTranslatedWords() throws {
        let bert = try TrainedModels.tinyBERT()
        #expect(bert.vocabulary == TinyBERT.vocabulary(for: Self.corpus))
        // Every fifth token of each pair hidden as [MASK] (no randomness): a fixed batch.
        var inputs: [[Int]] = [], labels: [[Int]] = [], segments: [[Int]] = []
        for pair in Self.batch {
            let encoded = bert.encodePair(pair.source, pair.target)
            var input = encoded.ids
            var label = Array(repeating: MaskedLMExample.ignoreIndex, count: input.count)
            for position in stride(from: 3, to: input.count - 1, by: 5) where !bert.specialIDs.contains(input[position]) {
                label[position] = input[position]
                input[position] = bert.maskID
            }
            inputs.append(input); labels.append(label); segments.append(encoded.segments)
        }
        let loss = try bert.model.loss(inputs: inputs, labels: labels, segments: segments, padID: bert.padID,
                                       ignoreIndex: MaskedLMExample.ignoreIndex)
        #expect(abs(loss.value.scalars[0] - Self.recordedTinyBERTLoss) <= 1e-5)
        // A held-out combination (她 + 在图书馆): hide "book" and 猫's counterpart the other way round.
        let pair = bert.encodePair(ParallelCorpus.tokenizeChinese("她昨天在图书馆买了一本书。"),
                                   ParallelCorpus.tokenizeEnglish("she bought a book in the library yesterday."))
        var ids = pair.ids
        let book = pair.tokens.firstIndex(of: "book")!
        ids[book] = bert.maskID
        #expect(try bert.predictions(ids: ids, segments: pair.segments, position: book).first?.token == "book")
        ids = pair.ids
        let shu = pair.tokens.lastIndex(of: "书")!
        ids[shu] = bert.maskID
        #expect(try bert.predictions(ids: ids, segments: pair.segments, position: shu).first?.token == "书")
    }

    @Test func theShippedFilesRecordHowTheyWereTrained() throws {
        let translator = try TrainedModels.metadata(of: .translator)
        #expect(translator["seed"] == "7" && translator["steps"] == "800")
        #expect(Double(translator["heldOutExactMatch"] ?? "") ?? 0 >= 0.95)
        let bert = try TrainedModels.metadata(of: .maskedLanguageModel)
        #expect(Double(bert["heldOutAccuracy"] ?? "") ?? 0 >= 0.80)
        let lm = try TrainedModels.metadata(of: .languageModel)
        #expect((Double(lm["heldOutAccuracy"] ?? "") ?? 0) > (Double(lm["unigramAccuracy"] ?? "") ?? 1))
    }

    @Test func aWeightFileOfAnotherModelIsRefusedWithAMessage() throws {
        let translatorPath = try TrainedModels.shippedURL(of: .translator).path
        #expect(throws: TrainedModelError.self) { try TrainedModels.languageModel(from: translatorPath) }
        do {
            _ = try TrainedModels.tinyBERT(from: translatorPath)
            Issue.record("a translator file loaded as a tiny BERT")
        } catch {
            #expect("\(error)".contains("expected the tiny BERT's weights"), "\(error)")
        }
        // A plain safetensors file without the metadata, and a file whose tensors do not fit.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shipped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("plain.safetensors").path
        try writeSafeTensors([(name: "w", tensor: Tensor(shape: [1], scalars: [1]))], to: plain)
        #expect(throws: TrainedModelError.self) { try TrainedModels.translator(from: plain) }
        var metadata = try TrainedModels.metadata(of: .languageModel)
        metadata["modelDimension"] = "32"
        let wrongShape = folder.appendingPathComponent("wrong.safetensors").path
        try writeSafeTensors([(name: "w", tensor: Tensor(shape: [1], scalars: [1]))], metadata: metadata, to: wrongShape)
        do {
            _ = try TrainedModels.languageModel(from: wrongShape)
            Issue.record("weights that do not fit were loaded")
        } catch {
            #expect("\(error)".contains("do not fit"), "\(error)")
        }
        #expect(throws: (any Error).self) { try TrainedModels.translator(from: folder.appendingPathComponent("missing.safetensors").path) }
    }
}
