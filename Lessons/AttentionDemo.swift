import Localization
import TensorCore
import Transformer
import Tokenizers

/// One randomly initialised attention head run over a sentence: the shared core of lesson 3
/// and `tx attention`. Untrained: the pattern it draws is what random weights give, not meaning.
package struct AttentionDemo: Sendable {
    package let tokens: [String]
    /// The embeddings, one row per token: [T, d_model].
    package let input: Tensor
    package let head: AttentionHead
    package let stages: AttentionStages

    package struct Options: Sendable {
        package var modelDimension: Int
        package var keyDimension: Int
        package var causal: Bool
        package init(modelDimension: Int = 8, keyDimension: Int = 4, causal: Bool = false) {
            self.modelDimension = modelDimension
            self.keyDimension = keyDimension
            self.causal = causal
        }
    }

    package enum DemoError: Error, CustomStringConvertible {
        case emptyText
        case tooManyTokens(Int, limit: Int)
        case badDimension(String)
        package var description: String {
            switch self {
            case .emptyText:
                return localized("the text is empty: give a sentence, e.g. --text \"The animal didn't cross the street because it was too tired\"")
            case .tooManyTokens(let count, let limit):
                return localized("the text has \(count) tokens; at most \(limit) fit in one figure")
            case .badDimension(let message):
                return message
            }
        }
    }

    /// The ids of `tokens` in the head's implicit vocabulary: the distinct tokens, compared
    /// case-insensitively as `ToyEmbedding` does, numbered from 0 in order of first appearance
    /// (so two positions have the same id exactly when they have the same embedding).
    package static func toyIDs(_ tokens: [String]) -> [Int] {
        var ids: [String: Int] = [:]
        return tokens.map { token in
            let key = token.lowercased()
            if let id = ids[key] { return id }
            ids[key] = ids.count
            return ids[key]!
        }
    }

    /// How many tokens a figure can still label legibly.
    package static let maximumTokens = 64

    package init(text: String, seed: UInt64, options: Options = Options()) throws {
        let tokens = WordTokenizer().tokenize(text)
        guard !tokens.isEmpty else { throw DemoError.emptyText }
        guard tokens.count <= Self.maximumTokens else {
            throw DemoError.tooManyTokens(tokens.count, limit: Self.maximumTokens)
        }
        guard (1...512).contains(options.modelDimension), (1...512).contains(options.keyDimension) else {
            throw DemoError.badDimension(localized("d_model and d_k must be between 1 and 512"))
        }
        self.tokens = tokens
        input = try ToyEmbedding(dimension: options.modelDimension, seed: seed).embed(tokens)
        var generator = SeededGenerator(seed: seed)
        head = AttentionHead(modelDimension: options.modelDimension, keyDimension: options.keyDimension,
                             valueDimension: options.keyDimension, using: &generator)
        stages = try head(input, mask: options.causal ? causalMask(size: tokens.count) : nil)
    }
}
