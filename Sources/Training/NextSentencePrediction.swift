import TensorCore
import Tokenizers
import Transformer

// BERT's second pre-training task, next-sentence prediction (Devlin et al. 2019, §3.1): the
// input is two sentences, [CLS] A [SEP] B [SEP], and the model says from [CLS]'s final vector
// whether B really followed A in the text (IsNext) or was taken from somewhere else (NotNext).
// Half the pairs are each. It was meant to teach relations between sentences, useful for
// question answering and inference; later work (RoBERTa) found the task could be dropped.

/// One next-sentence-prediction example.
package struct NextSentencePair: Sendable, Equatable {
    /// [CLS] A [SEP] B [SEP].
    package let tokens: [String]
    /// 0 for [CLS], A and the first [SEP]; 1 for B and the last [SEP].
    package let segmentIDs: [Int]
    /// True when B is the sentence right after A in the same document.
    package let isNext: Bool
    /// Where A and B came from: document and sentence indices into the corpus.
    package let documentA: Int
    package let documentB: Int
    package let sentenceA: Int
    package let sentenceB: Int
    /// Tokens cut from the end of A and of B to fit `maxLength` (0 when nothing was cut).
    package let trimmedA: Int
    package let trimmedB: Int

    package init(tokens: [String], segmentIDs: [Int], isNext: Bool, documentA: Int, documentB: Int,
                sentenceA: Int, sentenceB: Int, trimmedA: Int = 0, trimmedB: Int = 0) {
        self.tokens = tokens
        self.segmentIDs = segmentIDs
        self.isNext = isNext
        self.documentA = documentA
        self.documentB = documentB
        self.sentenceA = sentenceA
        self.sentenceB = sentenceB
        self.trimmedA = trimmedA
        self.trimmedB = trimmedB
    }

    /// The tokens of A as they appear in the pair (after trimming).
    package var tokensA: ArraySlice<String> {
        tokens[1..<(segmentIDs.firstIndex(of: 1) ?? tokens.count) - 1]
    }

    /// The tokens of B as they appear in the pair (after trimming).
    package var tokensB: ArraySlice<String> {
        guard let start = segmentIDs.firstIndex(of: 1) else { return [] }
        return tokens[start..<(tokens.count - 1)]
    }
}

/// `count` sentence pairs drawn from `documents` (each a list of sentences in order).
///
/// For each pair: a document with at least two sentences is picked uniformly, then a sentence A
/// that has a successor, uniformly. With probability 1/2 B is the sentence right after A
/// (IsNext); otherwise another document is picked uniformly among those with a sentence, and B
/// is one of its sentences, uniformly (NotNext), so B never comes from A's document.
/// Sentences are tokenised once, with `tokenizer`.
///
/// **Truncation**: when [CLS] A [SEP] B [SEP] would be longer than `maxLength`, one token is
/// cut from the end of the longer of A and B (B when they are equally long) until it fits, as
/// BERT's `truncate_seq_pair` does, except that BERT cuts from the front or the back at random
/// and this always cuts from the back, so the sentence start a reader sees stays. `maxLength`
/// ≥ 5 leaves each side at least one token.
///
/// This pairs single sentences. The reference (create_pretraining_data.py) packs several
/// consecutive sentences into A and B to fill a 512-token window, which is the same task with
/// longer segments.
///
/// Throws `TransformerError.invalidInput` when no pair can be made (fewer than two documents
/// with sentences, or none with two sentences), when a sentence has no tokens (naming it),
/// or when `maxLength` < 5 or `count` < 0.
package func makeNextSentencePairs(documents: [[String]], tokenizer: (String) -> [String], count: Int,
                                  maxLength: Int, using generator: inout SeededGenerator) throws -> [NextSentencePair] {
    let operation = "makeNextSentencePairs"
    guard count >= 0 else {
        throw TransformerError.invalidInput(operation: operation, reason: "count must not be negative, not \(count)")
    }
    guard maxLength >= 5 else {
        throw TransformerError.invalidInput(
            operation: operation,
            reason: "maxLength \(maxLength) is too short: [CLS] A [SEP] B [SEP] needs at least 5 tokens")
    }
    let withSentences = documents.indices.filter { !documents[$0].isEmpty }
    guard withSentences.count >= 2 else {
        throw TransformerError.invalidInput(
            operation: operation,
            reason: "\(withSentences.count) document(s) with sentences; NotNext pairs need at least 2 documents")
    }
    let withSuccessor = documents.indices.filter { documents[$0].count >= 2 }
    guard !withSuccessor.isEmpty else {
        throw TransformerError.invalidInput(
            operation: operation, reason: "no document has two sentences, so there is no IsNext pair")
    }
    var tokenized: [[[String]]] = []
    for (d, document) in documents.enumerated() {
        var sentences: [[String]] = []
        for (s, sentence) in document.enumerated() {
            let tokens = tokenizer(sentence)
            guard !tokens.isEmpty else {
                throw TransformerError.invalidInput(
                    operation: operation, reason: "sentence \(s) of document \(d) has no tokens")
            }
            sentences.append(tokens)
        }
        tokenized.append(sentences)
    }

    var pairs: [NextSentencePair] = []
    pairs.reserveCapacity(count)
    for _ in 0..<count {
        let documentA = withSuccessor[PretrainingRandom.index(below: withSuccessor.count, using: &generator)]
        let sentenceA = PretrainingRandom.index(below: documents[documentA].count - 1, using: &generator)
        let isNext = PretrainingRandom.unit(using: &generator) < 0.5
        let documentB: Int
        let sentenceB: Int
        if isNext {
            documentB = documentA
            sentenceB = sentenceA + 1
        } else {
            // Uniform among the other documents that have a sentence.
            let others = withSentences.filter { $0 != documentA }
            documentB = others[PretrainingRandom.index(below: others.count, using: &generator)]
            sentenceB = PretrainingRandom.index(below: documents[documentB].count, using: &generator)
        }
        var a = tokenized[documentA][sentenceA]
        var b = tokenized[documentB][sentenceB]
        var trimmedA = 0, trimmedB = 0
        while a.count + b.count + 3 > maxLength {
            if a.count > b.count {
                a.removeLast()
                trimmedA += 1
            } else {
                b.removeLast()
                trimmedB += 1
            }
        }
        let tokens = [SpecialToken.classification.rawValue] + a + [SpecialToken.separator.rawValue]
            + b + [SpecialToken.separator.rawValue]
        let segments = [Int](repeating: 0, count: a.count + 2) + [Int](repeating: 1, count: b.count + 1)
        pairs.append(NextSentencePair(tokens: tokens, segmentIDs: segments, isNext: isNext,
                                      documentA: documentA, documentB: documentB, sentenceA: sentenceA,
                                      sentenceB: sentenceB, trimmedA: trimmedA, trimmedB: trimmedB))
    }
    return pairs
}
