// A causal (GPT-style) decoder layer run on a sentence, with its attention trace printed.
//
//   swift run CausalDecoderTraceExample "I am a student"
//
// Every weight above the diagonal is exactly zero: the causal mask hides the future.
import Foundation
import TensorCore
import Terminal
import Transformer
import Tokenizers

let sentence = CommandLine.arguments.dropFirst().first ?? "I am a student"
let tokens = WordTokenizer().tokenize(sentence)
guard !tokens.isEmpty else {
    print("Give a sentence, e.g. \"I am a student\"")
    exit(1)
}

let d = 16, heads = 4
var generator = SeededGenerator(seed: 42)
let layer = try DecoderLayer(modelDimension: d, heads: heads, feedForwardDimension: 4 * d,
                             crossAttention: false, using: &generator)           // GPT-style: no encoder
let x = try ToyEmbedding(dimension: d, seed: 42).embed(tokens)                   // (T, d)
    + sinusoidalPositionalEncoding(length: tokens.count, dimension: d)
let result = try layer(x, memory: nil, selfMask: causalMask(size: tokens.count), memoryMask: nil)

var trace = AttentionTrace(architecture: "decoder-only")
try trace.record(weights: result.selfAttention.weights, layer: 0, kind: .decoderSelf,
                 queryTokens: tokens, keyTokens: tokens)                         // weights (h, T, T)

let printer = MatrixPrinter(decimals: 2, showRowSums: true)
for entry in trace.entries {
    print("layer \(entry.layer + 1), head \(entry.head + 1) (\(entry.kind.rawValue)):")
    print(printer.format(entry.weights, rowLabels: entry.queryTokens, columnLabels: entry.keyTokens))
    print()
}
print("Output: \(result.output.shape) — one vector per token, the same shape as the input.")
