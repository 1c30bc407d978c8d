import Foundation

/// What can go wrong when a model is configured or fed: the shape errors of the tensor
/// arithmetic stay `TensorError`; these are the errors about tokens, lengths and sizes.
///
/// Every message says what was expected and what came, so the CLI can print it as it is.
public enum TransformerError: Error, Equatable, CustomStringConvertible {
    /// A size or setting that cannot work, e.g. d_model 10 with 4 heads.
    /// `field` names the setting ("heads", "TransformerConfiguration.layers", ...).
    case invalidConfiguration(field: String, reason: String)
    /// A token id outside the vocabulary. `sequence` is the index in a batch (nil for one sequence).
    case tokenOutOfRange(id: Int, sequence: Int?, position: Int, vocabularySize: Int)
    /// More positions than a learned position table has rows.
    case sequenceTooLong(length: Int, maxLength: Int)
    /// Input that is not token ids of the expected form (an empty sequence, labels of the
    /// wrong count, a missing encoder output, ...).
    case invalidInput(operation: String, reason: String)

    /// A one-line message saying what was expected and what came (the CLI prints it after
    /// "Error: ").
    public var description: String {
        switch self {
        case let .invalidConfiguration(field, reason):
            return "\(field): \(reason)"
        case let .tokenOutOfRange(id, sequence, position, vocabularySize):
            let place = sequence.map { "sequence \($0), position \(position)" } ?? "position \(position)"
            return "Embedding: token id \(id) at \(place) is out of range; "
                + "the vocabulary has \(vocabularySize) ids (0..<\(vocabularySize))"
        case let .sequenceTooLong(length, maxLength):
            return "LearnedPositionalEncoding: a sequence of \(length) positions is longer than "
                + "maxLength \(maxLength) (the table has one learned row per position, 0..<\(maxLength))"
        case let .invalidInput(operation, reason):
            return "\(operation): \(reason)"
        }
    }
}

extension TransformerError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
