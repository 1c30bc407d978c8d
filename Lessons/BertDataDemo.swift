import Figures
import Localization
import TensorCore
import Transformer
import Tokenizers
import Training

/// The pieces lesson 9 and `tx mlm` share: a small WordPiece vocabulary built from the teaching
/// corpus (plus every character of the user's own text, so nothing they type becomes [UNK]),
/// and BERT's masked-LM corruption of one sentence.
package struct BertDataDemo: Sendable {
    package let vocabulary: Vocabulary
    package let tokenizer: WordPieceTokenizer

    package enum DemoError: Error, CustomStringConvertible {
        case emptyText
        case tooLong(Int)
        package var description: String {
            switch self {
            case .emptyText: return localized("the text is empty: give a sentence, e.g. --text \"the cat sat on the warm mat\"")
            case .tooLong(let count): return localized("the text has \(count) word pieces; at most \(BertDataDemo.maximumPieces) fit in one figure")
            }
        }
    }

    package static let maximumPieces = 120
    /// `max_predictions_per_seq` of BERT's reference, at its default (20, for sequences of 128).
    package static let maxPredictionsPerSequence = 20

    package init(extraText: String = "") throws {
        let corpus = TeachingCorpus.documents.flatMap { $0 }
        // Every corpus word whole (so the lesson's sentences read as words), plus characters and
        // common endings, so words from outside the corpus split into visible pieces.
        var builder = WordPieceVocabularyBuilder()
        builder.wholeWordCount = 2_000
        builder.minimumWordFrequency = 1
        // Characters of the extra text join the vocabulary as single pieces and ## pieces, so a
        // word the corpus never saw is split into pieces rather than replaced by [UNK].
        var vocabulary = try builder.build(from: corpus)
        let known = Set(vocabulary.tokens)
        var extra: [String] = []
        for piece in BertBasicTokenizer().tokenize(extraText) {
            for character in piece {
                for candidate in [String(character), "##" + String(character)] where !known.contains(candidate) && !extra.contains(candidate) {
                    extra.append(candidate)
                }
            }
        }
        if !extra.isEmpty { vocabulary = try Vocabulary(tokens: vocabulary.tokens + extra) }
        self.vocabulary = vocabulary
        self.tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
    }

    package struct Corruption: Sendable {
        package let originalTokens: [String]
        package let inputTokens: [String]
        package let labels: [String?]
        package let choices: [MaskChoice?]
        package let example: MaskedLMExample
    }

    /// "[CLS] text [SEP]", corrupted as BERT does, with `seed`: by default the reference's
    /// counting rule, `min(20, max(1, round(0.15 × tokens)))` with [CLS] and [SEP] counted.
    package func corrupt(_ text: String, seed: UInt64, counting: MaskCountRule = .reference) throws -> Corruption {
        let pieces = tokenizer.tokenize(text)
        guard !pieces.isEmpty else { throw DemoError.emptyText }
        guard pieces.count <= Self.maximumPieces else { throw DemoError.tooLong(pieces.count) }
        let ids = tokenizer.encodePair(text, nil).ids                      // [CLS] … [SEP]
        var generator = SeededGenerator(seed: seed)
        let example = try corruptForMaskedLM(ids: ids, vocabulary: vocabulary,
                                             maxPredictions: Self.maxPredictionsPerSequence, counting: counting,
                                             using: &generator)
        let name = { (id: Int) in vocabulary.token(for: id) ?? "?" }
        return Corruption(originalTokens: ids.map(name), inputTokens: example.inputIDs.map(name),
                          labels: example.labels.map { $0 == MaskedLMExample.ignoreIndex ? nil : name($0) },
                          choices: example.choices, example: example)
    }

    package func strip(_ corruption: Corruption, title: String, subtitle: String) -> CorruptionStrip {
        CorruptionStrip(title: title, subtitle: subtitle, originalTokens: corruption.originalTokens,
                        inputTokens: corruption.inputTokens, choices: corruption.choices.map { $0.map(Self.kind) })
    }

    static func kind(_ choice: MaskChoice) -> CorruptionStrip.Kind {
        switch choice {
        case .mask: return .mask
        case .random: return .random
        case .kept: return .kept
        }
    }
}
