import Foundation
/// What can go wrong when a tokenizer is set up: a size or setting that cannot work.
///
/// Every message says what was expected and what came, so the CLI can print it as it is.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A setting that cannot work, e.g. a vocabulary of at most 4 tokens. `field` names the
    /// setting ("WordLevelTokenizer.maximumSize", ...).
    case invalidConfiguration(field: String, reason: String)

    /// "FIELD: REASON", printable as it is.
    public var description: String {
        switch self {
        case let .invalidConfiguration(field, reason):
            return "\(field): \(reason)"
        }
    }
}

extension TokenizerError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
