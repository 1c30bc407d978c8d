import Foundation
import ModelIO
import TensorCore
import Transformer
import Training

/// The logit lens (nostalgebraist 2020, "interpreting GPT: the logit lens"): a decoder's
/// residual stream after each layer, put through the model's own final norm and unembedding as
/// if the model stopped there, says which next token the stream already "has in mind" layer by
/// layer. Layer 0 is the embedding alone (the lens then reads the input token's own row back);
/// the last layer gives the model's real prediction.
public struct LogitLens: Sendable {
    /// The best token of one layer at one position.
    public struct Cell: Sendable, Equatable {
        /// The token's id in the model's vocabulary.
        public let id: Int
        /// The token as text.
        public let token: String
        /// Its probability after that layer, 0…1.
        public let probability: Float
    }

    /// The input tokens, one per position.
    public let labels: [String]
    /// [layerCount + 1][T]: row 0 is the embedding, row ℓ the stream after layer ℓ.
    public let cells: [[Cell]]

    /// The model's own top-1 next token at every position (the last row).
    public var finalAnswers: [Cell] { cells[cells.count - 1] }

    /// The first row (0 = the embedding) whose top-1 token at `position` is the final answer.
    public func firstRowWithFinalAnswer(position: Int) -> Int {
        let answer = finalAnswers[position].id
        return cells.firstIndex { $0[position].id == answer } ?? cells.count - 1
    }

    /// The first row from which the final answer stays top-1 up to the last layer.
    public func settledRow(position: Int) -> Int {
        let answer = finalAnswers[position].id
        var row = cells.count - 1
        while row > 0, cells[row - 1][position].id == answer { row -= 1 }
        return row
    }

    /// The lens logits [layerCount + 1][T][V] of one pass (nil for a model without an output head).
    public static func logits(of model: ProbedModel, run: ProbeResult) throws -> [[[Float]]]? {
        var result: [[[Float]]] = []
        for residual in run.residuals {
            guard let logits = try model.unembed(residual) else { return nil }
            result.append(logits)
        }
        return result
    }

    /// Runs `model` on `ids` and reads every layer through the lens. Throws for a model without
    /// an output head (an encoder such as MiniLM has nothing to unembed with).
    public init(model: ProbedModel, ids: [Int], labels: [String]) throws {
        let run = try model.run(ids: ids, labels: labels)
        guard let all = try Self.logits(of: model, run: run) else {
            throw TransformerError.invalidInput(operation: "LogitLens",
                                                reason: "this model has no output head to read the layers through")
        }
        self.labels = labels
        cells = all.map { layer in
            layer.map { row in
                let p = Analysis.probabilities(row)
                let best = argmaxIndex(p)
                return Cell(id: best, token: model.token(best), probability: p[best])
            }
        }
    }
}

/// The softmax of one row, in Double for the sums (a fully −∞ row gives zeros).
func probabilities(_ row: [Float]) -> [Float] {
    guard let maximum = row.max(), maximum.isFinite else { return row.map { _ in 0 } }
    let exps = row.map { exp(Double($0 - maximum)) }
    let sum = exps.reduce(0, +)
    return exps.map { Float($0 / sum) }
}

/// The first index of the largest value (0 for an empty row).
func argmaxIndex(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
