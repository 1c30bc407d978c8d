import Figures
import Foundation
import Terminal
import Transformer

/// The range of every numeric option of `tx`, in one place: the help texts print them and
/// `check` enforces them before anything is allocated. Without bounds `tx train --d-model 2^62`
/// trapped on an arithmetic overflow, `--batch-size 2^63−1` crashed on a bad pointer and
/// `--steps 2^31` reserved 8 GB up front. The ranges are wide enough for every experiment the
/// lessons suggest and small enough that the largest combination fits in memory.
enum OptionBounds {
    // tx train
    static let trainSteps = 1...100_000
    static let batchSize = 1...512
    static let trainModelDimension = 4...512
    static let trainLayers = 1...8
    // tx attention (the toy head)
    static let toyModelDimension = 1...512
    static let toyKeyDimension = 1...512
    // tx attention --arch / --model
    static let layerOrHead = 1...1_000
    // tx generate
    static let generateSteps = 1...200
    static let temperature: ClosedRange<Float> = 0.01...100
    static let topK = 1...1_000_000
    // tx embed
    static let neighbours = 1...100

    /// "from 1 to 512", for help texts.
    static func text<T: Comparable>(_ range: ClosedRange<T>) -> String {
        "\(range.lowerBound)–\(range.upperBound)"
    }

    /// Throws a one-line `CLIError` naming the option, the value and the range.
    static func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, option: String, note: String = "") throws {
        // NaN compares false with everything, so `contains` refuses it too.
        guard range.contains(value) else {
            throw CLIError("\(option) \(value) is out of range: give a value from \(range.lowerBound) to \(range.upperBound)\(note)")
        }
    }
}

/// Text from a file or the command line, made safe to print or draw (see `visibleText`).
func shown(_ text: String) -> String { visibleText(text) }

/// The attention trace must hold finite weights before anything is printed or drawn: a model
/// whose weights are finite but huge (1e38) overflows to ∞ in its activations, and softmax of ∞
/// is NaN. The error names the first layer and head where it happens.
func checkFinite(_ trace: AttentionTrace, modelName: String) throws {
    for entry in trace.entries.sorted(by: { ($0.layer, $0.head) < ($1.layer, $1.head) }) {
        for (row, weights) in entry.weights.enumerated() {
            if let column = weights.firstIndex(where: { !$0.isFinite }) {
                throw CLIError("\(modelName): layer \(entry.layer + 1), head \(entry.head + 1) computed a non-finite attention "
                               + "weight (\(weights[column]) at query \(row + 1), key \(column + 1)): the model's numbers overflow "
                               + "Float, so its weights are damaged or not meant for this architecture")
            }
        }
    }
}

/// The same for a logit vector, before it is sampled from or printed.
func checkFinite(logits: [Float], modelName: String, step: Int) throws {
    if let index = logits.firstIndex(where: { !$0.isFinite }) {
        throw CLIError("\(modelName): the logits at step \(step) are not finite (token \(index): \(logits[index])): "
                       + "the model's numbers overflow Float, so its weights are damaged or not meant for this architecture")
    }
}

/// The trace as JSON with every control character escaped, DEL and C1 included (JSONEncoder
/// escapes only U+0000–U+001F, as JSON requires), so `cat trace.json` is harmless too.
func safeJSON(_ trace: AttentionTrace) throws -> [UInt8] {
    escapingInvisibleControlsInJSON(Array(try trace.jsonData()))
}
