import Foundation
import ModelIO
import TensorCore
import Transformer
import Training

/// Head ablation (as in Michel, Levy & Neubig 2019, "Are Sixteen Heads Really Better than One?"):
/// silence one head, or a set, and measure what the model's prediction loses. A head whose
/// removal changes nothing was not needed for this input; one whose removal flips the answer was.
public struct HeadAblation: Sendable {
    /// One token and its probability.
    public struct Candidate: Sendable, Equatable {
        /// The token's id in the model's vocabulary.
        public let id: Int
        /// The token as text.
        public let token: String
        /// Its probability at `position`, 0…1.
        public let probability: Float
    }

    /// The silenced heads.
    public let heads: Set<HeadIndex>
    /// The position whose prediction is compared (the last for a decoder, the [MASK] for BERT).
    public let position: Int
    /// The full distributions at `position`, before and after.
    public let before: [Float]
    /// (See `before`.) The distribution with `heads` silenced.
    public let after: [Float]
    /// KL(before ‖ after) in nats: how much information the silenced heads carried for this prediction.
    public let divergence: Double

    /// The `count` most likely tokens before and after.
    public func top(_ count: Int, model: ProbedModel) -> (before: [Candidate], after: [Candidate]) {
        func best(_ p: [Float]) -> [Candidate] {
            p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(count)
                .map { Candidate(id: $0, token: model.token($0), probability: p[$0]) }
        }
        return (best(before), best(after))
    }

    /// Silences `heads` and compares the prediction at `position` (nil: the last position) with
    /// the intact model's. Throws for a model without an output head.
    public init(model: ProbedModel, ids: [Int], labels: [String], segments: [Int]? = nil, heads: Set<HeadIndex>,
                position: Int? = nil, intact: ProbeResult? = nil) throws {
        let position = position ?? ids.count - 1
        guard ids.indices.contains(position) else {
            throw TransformerError.invalidInput(operation: "HeadAblation", reason: "position \(position) is outside the \(ids.count) tokens")
        }
        let reference = try intact ?? model.run(ids: ids, labels: labels, segments: segments)
        let silenced = try model.run(ids: ids, labels: labels, segments: segments, ablating: heads)
        guard let a = reference.logits, let b = silenced.logits else {
            throw TransformerError.invalidInput(operation: "HeadAblation",
                                                reason: "this model has no output head; compare hidden states instead")
        }
        self.heads = heads
        self.position = position
        before = probabilities(a[position])
        after = probabilities(b[position])
        divergence = Self.divergence(before, after)
    }

    /// KL(p ‖ q) = Σ p log(p / q) in nats, over the tokens with p > 0 (q floored at 1e-30 so a
    /// token the ablated model rules out gives a large, finite number).
    public static func divergence(_ p: [Float], _ q: [Float]) -> Double {
        var sum = 0.0
        for i in p.indices where p[i] > 0 {
            sum += Double(p[i]) * log(Double(p[i]) / max(Double(q[i]), 1e-30))
        }
        return max(0, sum)
    }

    /// Every head silenced alone, ranked by its effect: [layerCount][headCount] of the KL at
    /// `position` for a model with an output head, of 1 − cosine of the mean-pooled last hidden
    /// state for an encoder without one (MiniLM's sentence vector).
    public static func sweep(model: ProbedModel, ids: [Int], labels: [String], segments: [Int]? = nil,
                             position: Int? = nil) throws -> [[Double]] {
        let intact = try model.run(ids: ids, labels: labels, segments: segments)
        return try (0..<model.layerCount).map { layer in
            try (0..<model.headCount).map { head in
                let heads: Set<HeadIndex> = [HeadIndex(layer: layer, head: head)]
                if intact.logits != nil {
                    return try HeadAblation(model: model, ids: ids, labels: labels, segments: segments, heads: heads,
                                            position: position, intact: intact).divergence
                }
                let silenced = try model.run(ids: ids, labels: labels, segments: segments, ablating: heads)
                return 1 - cosine(meanPooled(intact.residuals.last!), meanPooled(silenced.residuals.last!))
            }
        }
    }

    static func meanPooled(_ rows: [[Float]]) -> [Double] {
        guard let d = rows.first?.count else { return [] }
        var mean = [Double](repeating: 0, count: d)
        for row in rows { for j in 0..<d { mean[j] += Double(row[j]) / Double(rows.count) } }
        return mean
    }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return na > 0 && nb > 0 ? dot / (na * nb) : 0
    }
}
