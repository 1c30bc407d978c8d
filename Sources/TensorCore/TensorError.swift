/// Everything that can go wrong when a `Tensor` operation is handed shapes it cannot use.
///
/// Every message names the operation and the shapes involved, because the first question
/// when a model does not fit together is always "which op, and what did it get?".
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Two operands whose shapes cannot be combined by `operation`.
    case shapeMismatch(operation: String, lhs: [Int], rhs: [Int])
    /// A single shape that `operation` cannot accept, with the reason why.
    case invalidShape(operation: String, shape: [Int], reason: String)
    /// `Tensor(shape:scalars:)` got a different number of scalars than the shape holds.
    case scalarCountMismatch(shape: [Int], count: Int)
    /// An axis argument outside `-rank ..< rank`.
    case axisOutOfRange(operation: String, axis: Int, rank: Int)

    /// A one-line message naming the operation and the shapes it got (also the `errorDescription`).
    public var description: String {
        switch self {
        case let .shapeMismatch(operation, lhs, rhs):
            return "\(operation): shapes \(lhs) and \(rhs) do not fit: "
                + TensorError.mismatchExplanation(operation: operation, lhs: lhs, rhs: rhs)
        case let .invalidShape(operation, shape, reason):
            return "\(operation): shape \(shape) is invalid: \(reason)"
        case let .scalarCountMismatch(shape, count):
            let needed = shape.reduce(1, *)
            return "Tensor(shape:scalars:): shape \(shape) holds \(needed) scalars but \(count) were given"
        case let .axisOutOfRange(operation, axis, rank):
            let valid = rank == 0 ? "a rank-0 tensor has no axes" : "valid axes are \(-rank) ..< \(rank)"
            return "\(operation): axis \(axis) is out of range for rank \(rank) (\(valid))"
        }
    }

    /// The rule that was broken, spelled out for the operation at hand.
    /// `shapeMismatch` carries no free-text reason (so that errors compare with `==` on
    /// shapes alone), so the explanation is derived here from the operation and the shapes.
    private static func mismatchExplanation(operation: String, lhs: [Int], rhs: [Int]) -> String {
        switch operation {
        case "matmul":
            guard lhs.count >= 2, rhs.count >= 2 else {
                return "both operands need rank 2 or more ([m, k] x [k, n], optionally with leading batch axes)"
            }
            let inner = lhs[lhs.count - 1], rows = rhs[rhs.count - 2]
            if inner != rows {
                return "the left's last axis (\(inner)) must equal the right's second-to-last axis (\(rows))"
            }
            return "the leading (batch) axes must be equal, or the right must be a single [k, n] matrix"
        case "add", "subtract", "multiply", "divide", "combineMasks":
            return "to broadcast, line the shapes up at their last axes: each pair of dimensions "
                + "must be equal or one of them 1 (a missing axis counts as 1), "
                + "or one operand must hold a single scalar"
        case "maskedFill":
            return "the mask must broadcast to the tensor's shape without enlarging it: line them up "
                + "at their last axes; each mask dimension must equal the tensor's or be 1"
        case "broadcast":
            return "the first shape must stretch to exactly the second: line them up at their last "
                + "axes; each dimension must equal the target's or be 1"
        case "concatenate":
            return "all tensors must have the same rank and the same dimensions on every axis "
                + "except the one they are joined along"
        case "layerNorm":
            return "gamma and beta must have shape [d], where d is the input's last axis"
        default:
            return "the shapes are incompatible"
        }
    }
}
