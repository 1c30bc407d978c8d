import Foundation
import TensorCore
import Transformer
import Tokenizers

// Embedding arithmetic (Mikolov et al. 2013, "Linguistic Regularities in Continuous Space Word
// Representations"): if the table puts "king" − "man" about where "queen" − "woman" is, then
// king − man + woman lands near queen. Three pieces for lesson 1: parse the expression, find
// the rows nearest to a vector by cosine, and flatten a handful of rows to 2-D for a plot.

/// One word of an embedding expression with its sign: "− man" is (−1, "man").
public struct EmbeddingTerm: Sendable, Equatable {
    /// +1 or −1.
    public let sign: Float
    /// The word as typed.
    public let word: String

    /// A term with this sign (+1 or −1) and word.
    public init(sign: Float, word: String) {
        self.sign = sign
        self.word = word
    }
}

/// What can be wrong with an embedding expression or the arguments of the arithmetic.
public enum EmbeddingArithmeticError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing but white space.
    case emptyExpression
    /// A word was expected at character `offset` (0-based, in code points), but `found` came.
    case expectedWord(offset: Int, found: String)
    /// "+" or "−" was expected between two words at `offset`.
    case expectedOperator(offset: Int, found: String)
    /// The word is not one entry of the vocabulary; `pieces` is how the tokeniser would split it.
    case unknownWord(String, pieces: [String])
    /// Vectors of different lengths (or a table that is not a matrix).
    case dimensionMismatch(expected: Int, actual: Int)
    /// Rows for PCA that are ragged, or a count of components that cannot be computed.
    case invalidInput(String)

    /// A one-line message saying what is wrong and where (the CLI prints it after "Error: ").
    public var description: String {
        switch self {
        case .emptyExpression:
            return "embedding expression: it is empty; write words joined by + and -, e.g. \"king - man + woman\""
        case let .expectedWord(offset, found):
            return "embedding expression: a word was expected at character \(offset + 1), but found \(found)"
        case let .expectedOperator(offset, found):
            return "embedding expression: + or - was expected between words at character \(offset + 1), but found \(found)"
        case let .unknownWord(word, pieces):
            let split = pieces.isEmpty ? "" : " (the tokeniser splits it into \(pieces.joined(separator: " ")))"
            return "embedding expression: \"\(word)\" is not a single token of the vocabulary\(split); "
                + "only whole vocabulary entries have one embedding row"
        case let .dimensionMismatch(expected, actual):
            return "embedding arithmetic: vectors of length \(expected) expected, but one has length \(actual)"
        case let .invalidInput(reason):
            return "embedding arithmetic: \(reason)"
        }
    }
}

/// Parses "king - man + woman" into [+king, −man, +woman]. A leading sign is allowed
/// ("-man + woman"); "−" (U+2212) and "–" (en dash) count as minus. Words are runs of anything
/// but white space, "+" and minus signs, so "##ing" and "don't" are words, and "king-man+woman"
/// needs no spaces (no vocabulary entry contains a "-" next to a letter anyway).
public func parseEmbeddingExpression(_ text: String) throws -> [EmbeddingTerm] {
    enum Piece { case plus, minus, word(String) }
    let minusSigns: Set<Unicode.Scalar> = ["-", "\u{2212}", "\u{2013}"]
    var pieces: [(offset: Int, piece: Piece)] = []
    var word = String.UnicodeScalarView()
    var wordStart = 0
    let scalars = Array(text.unicodeScalars)
    func flush() {
        if !word.isEmpty { pieces.append((wordStart, .word(String(word)))); word = String.UnicodeScalarView() }
    }
    for (offset, scalar) in scalars.enumerated() {
        if scalar.properties.isWhitespace {
            flush()
        } else if scalar == "+" || minusSigns.contains(scalar) {
            flush()
            pieces.append((offset, scalar == "+" ? .plus : .minus))
        } else {
            if word.isEmpty { wordStart = offset }
            word.append(scalar)
        }
    }
    flush()
    guard !pieces.isEmpty else { throw EmbeddingArithmeticError.emptyExpression }

    var terms: [EmbeddingTerm] = []
    var sign: Float? = nil       // the operator before the next word; nil = none yet
    for (offset, piece) in pieces {
        switch piece {
        case .plus, .minus:
            let symbol = { if case .plus = piece { return "+" } else { return "-" } }()
            if sign != nil {
                throw EmbeddingArithmeticError.expectedWord(offset: offset, found: "\"\(symbol)\"")
            }
            sign = { if case .plus = piece { return 1 } else { return -1 } }()
        case let .word(text):
            if sign == nil, !terms.isEmpty {
                throw EmbeddingArithmeticError.expectedOperator(offset: offset, found: "\"\(text)\"")
            }
            terms.append(EmbeddingTerm(sign: sign ?? 1, word: text))
            sign = nil
        }
    }
    if sign != nil { throw EmbeddingArithmeticError.expectedWord(offset: scalars.count, found: "the end") }
    return terms
}

/// The signed sum of the terms' rows of `table` ([vocabulary, d]), and the ids it used.
/// A word that is not exactly one vocabulary entry is looked up lower-cased (uncased models
/// hold only lower case); if that fails too, `unknownWord` says how `tokenizer` would split it.
public func evaluateEmbeddingExpression(_ terms: [EmbeddingTerm], table: Tensor,
                                        tokenizer: WordPieceTokenizer) throws -> (vector: [Float], ids: [Int]) {
    guard table.rank == 2 else { throw EmbeddingArithmeticError.invalidInput("the table must be a matrix, not \(table.shape)") }
    guard !terms.isEmpty else { throw EmbeddingArithmeticError.emptyExpression }
    let d = table.shape[1]
    var vector = [Float](repeating: 0, count: d)
    var ids: [Int] = []
    for term in terms {
        guard let id = tokenizer.vocabulary.id(of: term.word) ?? tokenizer.vocabulary.id(of: term.word.lowercased()),
              id < table.shape[0] else {
            throw EmbeddingArithmeticError.unknownWord(term.word, pieces: tokenizer.tokenize(term.word))
        }
        ids.append(id)
        table.scalars.withUnsafeBufferPointer { rows in
            for j in 0..<d { vector[j] += term.sign * rows[id * d + j] }
        }
    }
    return (vector, ids)
}

/// The `count` rows of `table` ([N, d]) most similar to `vector` by cosine, best first, leaving
/// out the ids in `excluding` (typically the words of the expression itself, which are always
/// near their own sum). Ties go to the smaller id. Rows of length zero have cosine 0. Returns
/// [] when the vector does not fit the table; `vocabulary[id]` labels each row (or "#id" when the
/// list is shorter than the table).
public func nearestNeighbours(of vector: [Float], in table: Tensor, vocabulary: [String], count: Int,
                              excluding: Set<Int>) -> [(token: String, id: Int, cosine: Float)] {
    guard table.rank == 2, table.shape[1] == vector.count, count > 0 else { return [] }
    let rows = table.shape[0], d = table.shape[1]
    let vectorLength = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    var best: [(id: Int, cosine: Float)] = []       // sorted, at most `count`
    table.scalars.withUnsafeBufferPointer { t in
        vector.withUnsafeBufferPointer { v in
            for id in 0..<rows where !excluding.contains(id) {
                var dot: Float = 0, squares: Float = 0
                let base = id * d
                for j in 0..<d {
                    let x = t[base + j]
                    dot += x * v[j]
                    squares += x * x
                }
                let denominator = squares.squareRoot() * vectorLength
                let cosine = denominator > 0 ? dot / denominator : 0
                if best.count == count, let last = best.last, !(cosine > last.cosine) { continue }
                // Insert after every entry at least as good (so equal cosines keep id order).
                let position = best.firstIndex { cosine > $0.cosine } ?? best.count
                best.insert((id, cosine), at: position)
                if best.count > count { best.removeLast() }
            }
        }
    }
    return best.map { (token: $0.id < vocabulary.count ? vocabulary[$0.id] : "#\($0.id)", id: $0.id, cosine: $0.cosine) }
}

/// The leading principal components of a set of rows, and each row's coordinates along them.
public struct PrincipalComponents: Sendable, Equatable {
    /// The mean row, subtracted before everything else.
    public let mean: [Float]
    /// Unit directions, largest variance first.
    public let components: [[Float]]
    /// The variance of the rows along each component (eigenvalues of the covariance, ÷ n).
    public let variances: [Float]
    /// One row per input row: its centred coordinates along each component (for a 2-D plot,
    /// x = projections[i][0], y = projections[i][1]).
    public let projections: [[Float]]
}

/// PCA by power iteration with deflation: for each component, start from a fixed vector, repeat
/// v ← Xᵀ X v / ‖…‖ (X the centred rows) until it stops turning, then remove that direction and
/// find the next. Deterministic: same rows → same numbers, and each component's sign is chosen
/// so that its largest-magnitude entry is positive (an eigenvector's sign is otherwise arbitrary).
/// Runs in O(iterations · n · d) without forming the d × d covariance, so 384-d rows are cheap.
/// When the rows span fewer than `count` directions, the remaining components have variance 0.
/// Throws for ragged rows or `count` outside 1...d.
public func principalComponents(of rows: [[Float]], count: Int) throws -> PrincipalComponents {
    guard let d = rows.first?.count else {
        throw EmbeddingArithmeticError.invalidInput("PCA needs at least one row")
    }
    if let ragged = rows.first(where: { $0.count != d }) {
        throw EmbeddingArithmeticError.dimensionMismatch(expected: d, actual: ragged.count)
    }
    guard count >= 1, count <= d else {
        throw EmbeddingArithmeticError.invalidInput("PCA can find 1 to \(d) components of \(d)-d rows, not \(count)")
    }
    let n = rows.count
    // Double inside: the power iteration divides small differences, and these are few numbers.
    var mean = [Double](repeating: 0, count: d)
    for row in rows { for j in 0..<d { mean[j] += Double(row[j]) } }
    for j in 0..<d { mean[j] /= Double(n) }
    let centred = rows.map { row in (0..<d).map { Double(row[$0]) - mean[$0] } }

    func normalised(_ v: [Double]) -> [Double]? {
        let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return length > 1e-300 ? v.map { $0 / length } : nil
    }
    func removingComponents(_ v: [Double], _ found: [[Double]]) -> [Double] {
        var v = v
        for c in found {
            let dot = zip(v, c).reduce(0) { $0 + $1.0 * $1.1 }
            for j in 0..<d { v[j] -= dot * c[j] }
        }
        return v
    }
    /// Xᵀ X v / n: the covariance times v, without the covariance.
    func covarianceTimes(_ v: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: d)
        for row in centred {
            let projection = zip(row, v).reduce(0) { $0 + $1.0 * $1.1 }
            for j in 0..<d { result[j] += projection * row[j] }
        }
        return result.map { $0 / Double(n) }
    }

    var components: [[Double]] = []
    var variances: [Double] = []
    var generator = SeededGenerator(seed: 0x5043_41)        // "PCA"
    for _ in 0..<count {
        // A fixed pseudo-random start: a plain (1, 1, …) could be orthogonal to the answer.
        let start = (0..<d).map { _ in Double(generator.nextNormal()) }
        var v = normalised(removingComponents(start, components)) ?? [Double](repeating: 0, count: d)
        var variance = 0.0
        for _ in 0..<1000 {
            let next = removingComponents(covarianceTimes(v), components)   // deflation
            guard let unit = normalised(next) else { variance = 0; break }
            variance = zip(unit, covarianceTimes(unit)).reduce(0) { $0 + $1.0 * $1.1 }
            let change = zip(unit, v).reduce(0) { max($0, abs($1.0 - $1.1)) }
            v = unit
            if change < 1e-10 { break }
        }
        // When no variance is left the direction is arbitrary; keep it orthogonal to the rest.
        if let largest = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[largest] < 0 { v = v.map { -$0 } }
        components.append(v)
        variances.append(max(variance, 0))
    }
    let projections = centred.map { row in
        components.map { c in Float(zip(row, c).reduce(0) { $0 + $1.0 * $1.1 }) }
    }
    return PrincipalComponents(mean: mean.map(Float.init), components: components.map { $0.map(Float.init) },
                               variances: variances.map(Float.init), projections: projections)
}

extension BertEncoderModel {
    /// Evaluates "king - man + woman" on the word-embedding table and returns the `count` nearest
    /// tokens by cosine, leaving out the expression's own words.
    public func embeddingArithmetic(_ expression: String, count: Int = 5) throws
        -> [(token: String, id: Int, cosine: Float)] {
        let terms = try parseEmbeddingExpression(expression)
        let (vector, ids) = try evaluateEmbeddingExpression(terms, table: wordEmbeddings, tokenizer: tokenizer)
        return nearestNeighbours(of: vector, in: wordEmbeddings, vocabulary: vocabulary.tokens, count: count,
                                 excluding: Set(ids))
    }
}

extension EmbeddingArithmeticError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
