#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
import TensorCore
@testable import Transformer

@Suite("Attention trace")
struct TraceTests {
    static let source = ["I", "am", "a", "student", "."]
    static let target = ["<s>", "我", "是"]

    static func translate(recordTrace: Bool = true) throws -> (EncoderDecoderModel, EncoderDecoderOutput) {
        let model = try EncoderDecoderModel(configuration: .tinyOriginal, seed: 7)
        let output = try model.forward(source: [4, 5, 6, 7, 8], target: [1, 9, 10], sourceTokens: source,
                                       targetTokens: target, recordTrace: recordTrace)
        return (model, output)
    }

    @Test func encoderDecoderTraceHasEveryHeadOfEveryLayer() throws {
        let (_, output) = try Self.translate()
        let trace = try #require(output.trace)
        #expect(trace.architecture == "encoder-decoder")
        #expect(trace.heads == 4)
        for kind in AttentionKind.allCases {
            #expect(trace.layers(kind: kind) == 2, "\(kind)")
            #expect(trace.entries(kind: kind).count == 2 * 4, "\(kind)")
        }
        #expect(trace.entries.count == 3 * 2 * 4)
        // Order: encoder layers first, then per decoder layer its self-attention heads, then cross.
        #expect(trace.entries.prefix(8).allSatisfy { $0.kind == .encoderSelf })
        #expect(trace.entries[8].kind == .decoderSelf && trace.entries[8].layer == 0 && trace.entries[8].head == 0)
        #expect(trace.entries[12].kind == .cross && trace.entries[12].layer == 0)
        #expect(trace.entries[16].kind == .decoderSelf && trace.entries[16].layer == 1)

        for entry in trace.entries(kind: .encoderSelf) {
            #expect(entry.queryTokens == Self.source && entry.keyTokens == Self.source)
            #expect(entry.weights.count == 5 && entry.weights.allSatisfy { $0.count == 5 })
        }
        for entry in trace.entries(kind: .cross) {
            // Target length × source length.
            #expect(entry.queryTokens == Self.target && entry.keyTokens == Self.source)
            #expect(entry.weights.count == 3 && entry.weights.allSatisfy { $0.count == 5 })
        }
        for entry in trace.entries(kind: .decoderSelf) {
            #expect(entry.queryTokens == Self.target && entry.keyTokens == Self.target)
            for (i, row) in entry.weights.enumerated() {
                #expect(row.count == 3)
                for j in (i + 1)..<max(i + 1, 3) { #expect(row[j] == 0, "above the diagonal at \(i), \(j)") }
                #expect(abs(row[0...i].reduce(0, +) - 1) < 1e-5)
            }
        }
        for entry in trace.entries {
            for row in entry.weights { #expect(abs(row.reduce(0, +) - 1) < 1e-5) }
        }
    }

    @Test func traceHoldsTheModelsWeights() throws {
        let (_, output) = try Self.translate()
        let trace = try #require(output.trace)
        let cross = try #require(output.decoderLayers[1].crossAttention).weights   // (h, T, S)
        let recorded = try #require(trace.weights(layer: 1, head: 2, kind: .cross))
        let expected = try cross.slice(axis: 0, range: 2..<3).reshaped([3, 5])
        #expect(recorded == expected.rows)
        let encoderWeights = output.encoderLayers[0].attention.weights
        #expect(trace.weights(layer: 0, head: 3, kind: .encoderSelf)
                == (try encoderWeights.slice(axis: 0, range: 3..<4).reshaped([5, 5]).rows))
        #expect(trace.weights(layer: 2, head: 0, kind: .cross) == nil)
        #expect(try Self.translate(recordTrace: false).1.trace == nil)
    }

    @Test func jsonRoundTripsAndUsesTheDocumentedKeys() throws {
        let trace = try #require(try Self.translate().1.trace)
        let data = try trace.jsonData()
        #expect(try AttentionTrace(jsonData: data) == trace)
        let text = try #require(String(data: data, encoding: .utf8))
        for key in ["\"architecture\"", "\"entries\"", "\"layer\"", "\"head\"", "\"kind\"", "\"queryTokens\"",
                    "\"keyTokens\"", "\"weights\"", "\"encoder-self\"", "\"decoder-causal-self\"", "\"cross\"",
                    "\"encoder-decoder\"", "\"student\"", "\"我\""] {
            #expect(text.contains(key), "missing \(key)")
        }
        // Sorted keys: "architecture" before "entries", and within an entry head, keyTokens, kind,
        // layer, queryTokens, weights.
        let order = ["architecture", "entries", "head", "keyTokens", "kind", "layer", "queryTokens", "weights"]
        let positions = try order.map { key in try #require(text.firstRange(of: "\"\(key)\"")).lowerBound }
        #expect(positions == positions.sorted())
        // Pretty-printed: one key per line.
        #expect(text.contains("\n"))
    }

    @Test func malformedJSONThrows() throws {
        let wrongKind = #"{"architecture": "x", "entries": [{"layer": 0, "head": 0, "kind": "sideways", "#
            + #""queryTokens": ["a"], "keyTokens": ["b"], "weights": [[1]]}]}"#
        #expect(throws: (any Error).self) { try AttentionTrace(jsonData: Data(wrongKind.utf8)) }
        let ragged = #"{"architecture": "x", "entries": [{"layer": 0, "head": 0, "kind": "cross", "#
            + #""queryTokens": ["a", "b"], "keyTokens": ["c"], "weights": [[1], [0.5, 0.5]]}]}"#
        let error = try #require(throws: TransformerError.self) { try AttentionTrace(jsonData: Data(ragged.utf8)) }
        #expect(error.description.contains("entry 0"))
        #expect(throws: (any Error).self) { try AttentionTrace(jsonData: Data("not json".utf8)) }
        let minimal = #"{"architecture": "mine", "entries": []}"#
        let empty = try AttentionTrace(jsonData: Data(minimal.utf8))
        #expect(empty.architecture == "mine" && empty.heads == 0 && empty.layers(kind: .cross) == 0)
    }

    @Test func batchedTraceRecordsSequenceZeroWithPadding() throws {
        let model = try EncoderDecoderModel(configuration: .tiny, seed: 3)
        let output = try model.forward(sourceBatch: [[4, 5, 6], [4, 5, 6, 7, 8]], targetBatch: [[1, 9], [1, 9, 10, 11]],
                                       padID: 0, sourceTokens: ["a", "b", "c"], recordTrace: true)
        #expect(output.logits.shape == [2, 4, 32])
        let trace = try #require(output.trace)
        for entry in trace.entries(kind: .cross) {
            #expect(entry.keyTokens == ["a", "b", "c", "<pad>", "<pad>"])
            #expect(entry.queryTokens == ["1", "9", "<pad>", "<pad>"])
            for row in entry.weights { #expect(row[3] == 0 && row[4] == 0) }
        }
        for entry in trace.entries(kind: .decoderSelf) {
            // Causal and padding together: query 3 sees keys 0 and 1 only.
            #expect(entry.weights[3][2] == 0 && entry.weights[3][3] == 0)
            #expect(abs(entry.weights[3][0] + entry.weights[3][1] - 1) < 1e-5)
        }
    }

    @Test func recordRejectsWrongLabelsAndShapes() throws {
        var trace = AttentionTrace(architecture: "test")
        let weights = Tensor.filled([2, 3, 4], with: 0.25)   // (h, T_q, T_k)
        try trace.record(weights: weights, layer: 0, kind: .cross, queryTokens: ["a", "b", "c"],
                         keyTokens: ["w", "x", "y", "z"])
        #expect(trace.entries.count == 2)
        #expect(trace.entries[1].head == 1 && trace.entries[1].weights == Array(repeating: [0.25, 0.25, 0.25, 0.25], count: 3))
        #expect(throws: TransformerError.self) {
            try trace.record(weights: weights, layer: 1, kind: .cross, queryTokens: ["a"], keyTokens: ["w", "x", "y", "z"])
        }
        #expect(throws: TransformerError.self) {
            try trace.record(weights: Tensor.zeros([3, 4]), layer: 1, kind: .cross, queryTokens: ["a", "b", "c"],
                             keyTokens: ["w", "x", "y", "z"])
        }
    }
}
