import TensorCore
import Tokenizers
import Transformer

// BERT's first pre-training task, the masked language model (Devlin et al. 2019, §3.1, and
// google-research/bert's create_pretraining_data.py): hide some tokens of the input and train
// the model to recover them, a cloze test. Because the encoder sees the whole sentence, it can
// use the words on both sides of the gap.
//
// Of the tokens chosen (15%), 80% are replaced by [MASK], 10% by a random token and 10% are
// left as they are. If every chosen token became [MASK], the model would only learn to predict
// at [MASK] positions, a token that never appears when it is later fine-tuned on real text;
// the random and kept tokens force it to keep a good guess at every position.

/// What happened to one chosen position.
public enum MaskChoice: String, Sendable, CaseIterable, Codable {
    /// Replaced by [MASK] (80% of the chosen).
    case mask
    /// Replaced by a random ordinary token (10%). The draw may, rarely, hit the original token.
    case random
    /// Left as it was (10%); the model must still predict it.
    case kept
}

/// How many positions of a sequence are chosen for prediction.
package enum MaskCountRule: String, Sendable, CaseIterable {
    /// BERT's `create_pretraining_data.py`:
    /// `min(max_predictions_per_seq, max(1, round(len(tokens) × masked_lm_prob)))`, where
    /// `tokens` is the whole sequence, [CLS] and [SEP] included. The reference counts before
    /// padding, so [PAD] positions are not counted here either.
    case reference
    /// `min(maxPredictions, max(1, round(candidates × rate)))`: the same formula on the
    /// number of candidates only, so that exactly 15% of the maskable positions are chosen.
    case candidates

    /// The number of positions to choose: `length` is the sequence length the reference counts
    /// ([PAD] excluded), `candidates` the positions that may be chosen. Never more than
    /// `candidates`; 0 when `rate` is 0. Rounding is half to even, as Python 3's `round`.
    package func count(length: Int, candidates: Int, rate: Double, maxPredictions: Int?) -> Int {
        guard rate > 0, candidates > 0 else { return 0 }
        let base = self == .reference ? length : candidates
        var count = max(1, Int((Double(base) * rate).rounded(.toNearestOrEven)))
        if let maxPredictions { count = min(count, maxPredictions) }
        return min(count, candidates)
    }
}

/// One corrupted sequence and what the model must predict.
package struct MaskedLMExample: Sendable, Equatable {
    /// The label at positions the loss ignores (PyTorch's cross-entropy default).
    package static let ignoreIndex = -100

    /// The model's input: the original ids with the chosen positions corrupted.
    package let inputIDs: [Int]
    /// The original id at every chosen position, `ignoreIndex` everywhere else.
    package let labels: [Int]
    /// Per position: nil when not chosen, otherwise what was done to it.
    package let choices: [MaskChoice?]
    /// How many positions could have been chosen (those not holding a special token).
    package let candidateCount: Int

    package init(inputIDs: [Int], labels: [Int], choices: [MaskChoice?], candidateCount: Int) {
        self.inputIDs = inputIDs
        self.labels = labels
        self.choices = choices
        self.candidateCount = candidateCount
    }

    /// The chosen positions, in increasing order.
    package var maskedPositions: [Int] {
        choices.indices.filter { choices[$0] != nil }
    }
}

/// BERT's masked-LM corruption of one sequence of token ids.
///
/// 1. Candidates are the positions that do not hold one of the five special tokens (those the
///    vocabulary has): [CLS], [SEP] and [PAD] are never chosen, nor are [MASK] and [UNK].
///    (The reference excludes only [CLS] and [SEP].)
/// 2. The candidates are shuffled (Fisher–Yates with the seeded generator).
/// 3. The number to predict is `min(maxPredictions, max(1, round(length × maskingRate)))` with
///    `counting: .reference` (the default): `length` is the whole sequence, [CLS] and [SEP]
///    included, [PAD] not (the reference counts before padding), exactly as
///    `create_pretraining_data.py`. `counting: .candidates` multiplies the number of candidates
///    instead, so that exactly 15% of the maskable positions are chosen. Either way never more
///    than there are candidates; a `maskingRate` of 0 chooses nothing.
///    **Rounding**: half to even, on the same Double product Python computes, because that is
///    what the reference's `round()` does under Python 3 (30 × 0.15 = 4.5 → 4; Python 2, which
///    the reference also ran on, rounded halves away from zero and gave 5).
/// 4. The first that many shuffled candidates are chosen. For each, a uniform draw below 0.8
///    gives [MASK]; otherwise a second draw below 0.5 keeps the token, and the rest get a random
///    token. **Random pool**: drawn uniformly from the non-special ids of the vocabulary (every
///    id except the five specials). The reference draws from the whole vocabulary, so it can
///    insert [CLS], [MASK] or its "[unused]" entries; leaving the specials out means a random
///    replacement can never be mistaken for structure. The draw may return the original token
///    (probability 1/pool size), which is still recorded as `.random`, as in the reference.
///
/// The same ids, settings and generator state always give the same example.
///
/// Throws `VocabularyError.missingSpecialToken(.mask)` when the vocabulary has no [MASK],
/// `TransformerError.tokenOutOfRange` for an id outside the vocabulary, and
/// `TransformerError.invalidConfiguration` for a masking rate outside [0, 1], a negative
/// `maxPredictions`, or a vocabulary with no ordinary token to draw.
package func corruptForMaskedLM(ids: [Int], vocabulary: Vocabulary, maskingRate: Double = 0.15,
                               maxPredictions: Int? = nil, counting: MaskCountRule = .reference,
                               using generator: inout SeededGenerator) throws -> MaskedLMExample {
    try corruptForMaskedLM(ids: ids, maskID: vocabulary.requireID(of: .mask),
                           specialIDs: vocabulary.presentSpecialTokenIDs, vocabularySize: vocabulary.count,
                           padID: vocabulary.id(of: SpecialToken.pad),
                           maskingRate: maskingRate, maxPredictions: maxPredictions, counting: counting,
                           using: &generator)
}

/// The same corruption given the ids directly: `maskID` is [MASK]'s id, `specialIDs` the ids
/// never chosen and never drawn as random replacements ([MASK]'s id counts as special whether
/// or not it is listed), `padID` the padding id the reference's length does not count, and ids
/// run over 0..<vocabularySize.
package func corruptForMaskedLM(ids: [Int], maskID: Int, specialIDs: Set<Int>, vocabularySize: Int,
                               padID: Int? = nil,
                               maskingRate: Double = 0.15, maxPredictions: Int? = nil,
                               counting: MaskCountRule = .reference,
                               using generator: inout SeededGenerator) throws -> MaskedLMExample {
    let operation = "corruptForMaskedLM"
    guard maskingRate.isFinite, (0...1).contains(maskingRate) else {
        throw TransformerError.invalidConfiguration(field: "\(operation).maskingRate",
                                                    reason: "must be between 0 and 1, not \(maskingRate)")
    }
    if let maxPredictions, maxPredictions < 0 {
        throw TransformerError.invalidConfiguration(field: "\(operation).maxPredictions",
                                                    reason: "must not be negative, not \(maxPredictions)")
    }
    guard vocabularySize > 0, (0..<vocabularySize).contains(maskID) else {
        throw TransformerError.invalidConfiguration(
            field: "\(operation).maskID",
            reason: "[MASK]'s id \(maskID) is outside the vocabulary of \(vocabularySize) ids")
    }
    for (position, id) in ids.enumerated() where !(0..<vocabularySize).contains(id) {
        throw TransformerError.tokenOutOfRange(id: id, sequence: nil, position: position,
                                               vocabularySize: vocabularySize)
    }
    // The random pool: 0..<vocabularySize without the specials, sampled by index.
    let excluded = specialIDs.union([maskID]).filter { (0..<vocabularySize).contains($0) }.sorted()
    let poolSize = vocabularySize - excluded.count
    guard poolSize > 0 else {
        throw TransformerError.invalidConfiguration(
            field: "\(operation).vocabularySize",
            reason: "every one of the \(vocabularySize) ids is special; there is no ordinary token to draw")
    }
    func randomOrdinaryID() -> Int {
        var id = PretrainingRandom.index(below: poolSize, using: &generator)
        for special in excluded {   // the id-th non-special id: skip every special at or below it
            if special <= id { id += 1 } else { break }
        }
        return id
    }

    var candidates = ids.indices.filter { !excluded.contains(ids[$0]) }
    let candidateCount = candidates.count
    PretrainingRandom.shuffle(&candidates, using: &generator)

    let length = ids.filter { $0 != padID }.count
    let count = counting.count(length: length, candidates: candidateCount, rate: maskingRate,
                               maxPredictions: maxPredictions)

    var inputIDs = ids
    var labels = [Int](repeating: MaskedLMExample.ignoreIndex, count: ids.count)
    var choices = [MaskChoice?](repeating: nil, count: ids.count)
    for position in candidates.prefix(count) {
        labels[position] = ids[position]
        if PretrainingRandom.unit(using: &generator) < 0.8 {
            inputIDs[position] = maskID
            choices[position] = .mask
        } else if PretrainingRandom.unit(using: &generator) < 0.5 {
            choices[position] = .kept
        } else {
            inputIDs[position] = randomOrdinaryID()
            choices[position] = .random
        }
    }
    return MaskedLMExample(inputIDs: inputIDs, labels: labels, choices: choices, candidateCount: candidateCount)
}

/// Running totals over many masked-LM examples, to set the observed rates beside 15/80/10/10.
package struct MaskedLMTally: Sendable, Equatable {
    package private(set) var candidates = 0
    package private(set) var masked = 0
    package private(set) var randomized = 0
    package private(set) var kept = 0

    package init() {}

    package mutating func add(_ example: MaskedLMExample) {
        candidates += example.candidateCount
        for choice in example.choices {
            switch choice {
            case .mask?: masked += 1
            case .random?: randomized += 1
            case .kept?: kept += 1
            case nil: break
            }
        }
    }

    /// Positions chosen, whatever was done to them.
    package var chosen: Int { masked + randomized + kept }
    /// chosen / candidates (0.15 expected).
    package var chosenShare: Double { candidates > 0 ? Double(chosen) / Double(candidates) : 0 }

    /// The share of the chosen positions that got `choice` (0.8, 0.1, 0.1 expected).
    package func share(of choice: MaskChoice) -> Double {
        guard chosen > 0 else { return 0 }
        switch choice {
        case .mask: return Double(masked) / Double(chosen)
        case .random: return Double(randomized) / Double(chosen)
        case .kept: return Double(kept) / Double(chosen)
        }
    }
}
