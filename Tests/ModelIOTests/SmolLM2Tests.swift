import Foundation
import Testing
@testable import ModelIO
import TensorCore
import Transformer

// The real SmolLM2-135M-Instruct against golden fixtures written by the independent numpy
// reference (scripts/reference/smollm2_reference.py: gguf-py dequantisation, Hugging Face
// `tokenizers`, a float64 numpy forward pass). The model is loaded once for all tests.

enum SmolLM2Shared {
    static let model: Result<LlamaModel, any Error> = Result { try LlamaModel.loadInstalled() }
    static let file: Result<GGUFFile, any Error> = Result {
        try GGUFFile(contentsOf: try ModelStore.require(.smollm2).appendingPathComponent(ModelStore.Name.smollm2.files[0]))
    }

    static func fixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/smollm2/\(name)")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

struct TokenizerFixture: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int] }
    let cases: [Case]
}

struct LogitsFixture: Decodable {
    struct Entry: Decodable { let id: Int; let logit: Float }
    struct Prompt: Decodable { let text: String; let ids: [Int]; let top5: [Entry] }
    let prompts: [Prompt]
}

struct AttentionFixture: Decodable {
    struct Entry: Decodable { let layer: Int; let head: Int; let weights: [[Float]] }
    let text: String
    let ids: [Int]
    let entries: [Entry]
}

struct WeightsFixture: Decodable {
    struct Sample: Decodable { let tensor: String; let type: String; let shape: [Int]; let indices: [Int]; let values: [Float] }
    struct Generation: Decodable { let text: String; let ids: [Int]; let greedy: [Int] }
    let samples: [Sample]
    let generation: Generation
}

@Suite(.enabled(if: ModelStore.isInstalled(.smollm2)))
struct SmolLM2Tests {
    @Test func configurationComesFromTheMetadata() throws {
        let model = try SmolLM2Shared.model.get()
        let c = model.configuration
        #expect(c == LlamaConfiguration(layerCount: 30, hiddenSize: 576, feedForwardSize: 1536, headCount: 9,
                                        keyValueHeadCount: 3, ropeFrequencyBase: 100_000,
                                        rmsNormEpsilon: Double(Float(1e-5)), contextLength: 8192, vocabularySize: 49152))
        #expect(model.tiedOutput)
        #expect(model.tokenizer.preTokenizer == .smollm)
        #expect(model.tokenizer.bosID == 1 && model.tokenizer.eosID == 2)
        #expect(model.tokenizer.specialTokens["<|im_start|>"] == 1)
    }

    @Test func tokenIDsMatchTheReferenceTokenizer() throws {
        let tokenizer = try SmolLM2Shared.model.get().tokenizer
        for testCase in try SmolLM2Shared.fixture("tokenizer.json", as: TokenizerFixture.self).cases {
            #expect(tokenizer.encode(testCase.text) == testCase.ids, "\(testCase.text.debugDescription)")
            #expect(try tokenizer.decode(testCase.ids) == testCase.text)
        }
        #expect(tokenizer.tokenStrings(tokenizer.encode("The capital")) == ["The", "␣capital"])
        // Tokens that are only part of a UTF-8 character show their bytes; special tokens as written.
        #expect(tokenizer.tokenStrings([135, 1, 198]) == ["<0xBA>", "<|im_start|>", "↵"])
        // Byte tokens that spell a character together are labelled with it and their part.
        for text in ["我是猫", "🍕 pizza", "注意力"] {
            let ids = tokenizer.encode(text)
            let labels = tokenizer.tokenStrings(ids)
            #expect(!labels.contains { $0.contains("<0x") }, "\(text): \(labels)")
            // Keeping each run's first part, without its mark, gives the text back.
            var rebuilt = ""
            for label in labels {
                let words = label.split(separator: " ", omittingEmptySubsequences: false)
                if words.count >= 2, let part = words.last, part.contains("/"),
                   part.split(separator: "/").allSatisfy({ Int($0) != nil }) {
                    if part.hasPrefix("1/") { rebuilt += words.dropLast().joined(separator: " ") }
                } else {
                    rebuilt += label
                }
            }
            #expect(rebuilt.replacingOccurrences(of: "␣", with: " ") == text, "\(labels)")
        }
    }

    @Test func dequantisedWeightsMatchGGUFPy() throws {
        let file = try SmolLM2Shared.file.get()
        let samples = try SmolLM2Shared.fixture("weights.json", as: WeightsFixture.self).samples
        #expect(Set(samples.map(\.type)) == ["Q8_0", "Q4_1", "F32"])
        for sample in samples {
            let tensor = try file.tensor(named: sample.tensor)
            #expect(tensor.shape == sample.shape)
            #expect(file.tensors.first { $0.name == sample.tensor }?.type.description == sample.type)
            // gguf-py computes in float32 too: the values are identical, not just close.
            #expect(sample.indices.map { tensor.scalars[$0] } == sample.values, "\(sample.tensor)")
        }
    }

    @Test func nextTokenLogitsMatchTheReference() throws {
        let model = try SmolLM2Shared.model.get()
        for prompt in try SmolLM2Shared.fixture("logits.json", as: LogitsFixture.self).prompts {
            #expect(model.tokenizer.encode(prompt.text) == prompt.ids)
            let logits = try model.forward(ids: prompt.ids).logits
            #expect(logits.shape == [prompt.ids.count, 49152])
            let last = logits.row(prompt.ids.count - 1)
            let top = last.indices.sorted { last[$0] > last[$1] }.prefix(5)
            #expect(top.first == prompt.top5.first?.id, "top-1 for \(prompt.text.debugDescription)")
            for entry in prompt.top5 {
                #expect(abs(last[entry.id] - entry.logit) < 1e-2,
                        "logit of \(entry.id) for \(prompt.text.debugDescription): \(last[entry.id]) vs \(entry.logit)")
            }
            #expect(Array(top) == prompt.top5.map(\.id))
        }
    }

    @Test func attentionWeightsMatchTheReference() throws {
        let model = try SmolLM2Shared.model.get()
        let fixture = try SmolLM2Shared.fixture("attention.json", as: AttentionFixture.self)
        let (_, recorded) = try model.forward(ids: fixture.ids, recordTrace: true)
        let trace = try #require(recorded)
        #expect(trace.architecture == "decoder-only")
        #expect(trace.entries.count == 30 * 9)
        #expect(trace.layers(kind: .decoderSelf) == 30 && trace.heads == 9)
        #expect(trace.entries[0].queryTokens == model.tokenizer.tokenStrings(fixture.ids))
        var largest: Float = 0
        for entry in fixture.entries {
            let weights = try #require(trace.weights(layer: entry.layer, head: entry.head, kind: .decoderSelf))
            #expect(weights.count == entry.weights.count)
            for (row, expectedRow) in zip(weights, entry.weights) {
                for (value, expected) in zip(row, expectedRow) { largest = max(largest, abs(value - expected)) }
            }
        }
        #expect(largest < 1e-4, "largest attention difference \(largest)")
    }

    @Test func cachedGenerationEqualsRerunningThePrefix() throws {
        let model = try SmolLM2Shared.model.get()
        let fixture = try SmolLM2Shared.fixture("weights.json", as: WeightsFixture.self).generation
        let session = model.makeSession()
        var ids = fixture.ids
        var logits = try session.append(ids)
        for step in 0..<3 {
            let full = try model.forward(ids: ids).logits.row(ids.count - 1)
            let difference = zip(logits, full).map { abs($0 - $1) }.max() ?? .infinity
            // The full pass runs the prompt as batched products with blockwise attention, the
            // cached steps one token at a time: the same arithmetic summed in different orders,
            // so logits of about ±20 differ by float rounding accumulated over 30 layers
            // (measured up to 2.5e-5 on this prompt; the bound leaves 8x for other CPUs).
            #expect(difference < 2e-4, "step \(step): cached and full logits differ by \(difference)")
            let next = LlamaModel.argmax(logits)
            #expect(next == fixture.greedy[step])
            ids.append(next)
            logits = try session.append([next])
        }
        #expect(session.count == ids.count)
    }

    @Test func greedyGenerationMatchesTheReference() throws {
        let model = try SmolLM2Shared.model.get()
        let fixture = try SmolLM2Shared.fixture("weights.json", as: WeightsFixture.self).generation
        let generated = try model.greedyGenerate(prompt: fixture.ids, maxTokens: fixture.greedy.count, stopAtEOS: true)
        #expect(generated == fixture.greedy)
        #expect(try model.tokenizer.decode(generated).hasPrefix(" Paris"))
    }

    @Test func badInputThrowsTypedErrors() throws {
        let model = try SmolLM2Shared.model.get()
        #expect(throws: LlamaError.emptyInput(operation: "LlamaModel.forward")) { try model.forward(ids: []) }
        #expect(throws: LlamaError.emptyInput(operation: "LlamaSession.append")) { try model.makeSession().append([]) }
        #expect(throws: LlamaError.tokenOutOfRange(id: 49152, position: 1, vocabularySize: 49152)) {
            try model.forward(ids: [1, 49152])
        }
        #expect(throws: LlamaError.tokenOutOfRange(id: -1, position: 0, vocabularySize: 49152)) {
            try model.makeSession().append([-1])
        }
        let tooLong = [Int](repeating: 17, count: 8193)
        #expect(throws: LlamaError.contextExceeded(cached: 0, adding: 8193, limit: 8192)) { try model.forward(ids: tooLong) }
        #expect(LlamaError.contextExceeded(cached: 0, adding: 8193, limit: 8192).description.contains("8192"))
        #expect(throws: LlamaError.self) { try model.greedyGenerate(prompt: [1], maxTokens: -1) }
        #expect(try model.greedyGenerate(prompt: [1], maxTokens: 0) == [])
    }
}

// MARK: The kernel the model runs on

@Test func matvecKernelIsBitIdenticalForAnyThreadCountAndRowGrouping() {
    var rng = SeededGenerator(seed: 5)
    let outputs = 301, inputs = 133, rows = 7      // odd sizes: every tail path runs
    let w = Tensor.randomNormal([outputs, inputs], using: &rng).scalars
    let x = Tensor.randomNormal([rows, inputs], using: &rng).scalars
    func product(threads: Int, rows: Int, x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: rows * outputs)
        w.withUnsafeBufferPointer { wb in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { yb in
                    MatvecKernel.multiply(x: xb.baseAddress!, rows: rows, w: wb.baseAddress!, outputs: outputs,
                                          inputs: inputs, y: yb.baseAddress!, threads: threads)
                }
            }
        }
        return y
    }
    let one = product(threads: 1, rows: rows, x: x)
    #expect(product(threads: 2, rows: rows, x: x).map(\.bitPattern) == one.map(\.bitPattern))
    #expect(product(threads: 3, rows: rows, x: x).map(\.bitPattern) == one.map(\.bitPattern))
    // Row 5 alone (no group of four) gives the same bits as inside the batch.
    let row5 = product(threads: 1, rows: 1, x: Array(x[(5 * inputs)..<(6 * inputs)]))
    #expect(row5.map(\.bitPattern) == one[(5 * outputs)..<(6 * outputs)].map(\.bitPattern))
    // And the values are the products: compare with a Double sum.
    var largest = 0.0
    for t in 0..<rows {
        for o in 0..<outputs {
            var sum = 0.0
            for i in 0..<inputs { sum += Double(x[t * inputs + i]) * Double(w[o * inputs + i]) }
            largest = max(largest, abs(sum - Double(one[t * outputs + o])))
        }
    }
    #expect(largest < 1e-4)
}
