// TensorCore otherwise imports nothing: FoundationEssentials (swift-foundation's core, on Linux)
// is enough for LocalizedError; elsewhere Foundation provides it.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension TensorError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}

extension ParameterError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
