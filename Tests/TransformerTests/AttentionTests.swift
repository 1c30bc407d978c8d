import Testing
import TensorCore
@testable import Transformer
@testable import Tokenizers

/// Worked by hand (and checked with numpy):
///   Q = K = [[1,0],[0,1],[1,1]], V = [[1,2],[3,4],[5,6]], d_k = 2
///   QKᵀ = [[1,0,1],[0,1,1],[1,1,2]];  /√2 → 0.70710678 where the score is 1
///   row 0: e^0.7071 = 2.028115, sum = 2·2.028115 + 1 = 5.056230 → [0.401112, 0.197776, 0.401112]
///   row 2: scores [0.7071, 0.7071, 1.4142] → [0.248255, 0.248255, 0.503490]
///   output row 0 = 0.401112·[1,2] + 0.197776·[3,4] + 0.401112·[5,6] = [3, 4]
@Suite("Scaled dot-product attention")
struct AttentionTests {
    let q = try! Tensor([[1, 0], [0, 1], [1, 1]])
    let v = try! Tensor([[1, 2], [3, 4], [5, 6]])

    func expectClose(_ tensor: Tensor, _ expected: [[Float]], tolerance: Float = 1e-6,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(tensor.shape == [expected.count, expected.first?.count ?? 0], sourceLocation: sourceLocation)
        for (got, want) in zip(tensor.scalars, expected.flatMap { $0 }) {
            #expect(abs(got - want) <= tolerance, "got \(got), expected \(want)", sourceLocation: sourceLocation)
        }
    }

    @Test func handWorkedThreeByThree() throws {
        let stages = try scaledDotProductAttention(query: q, key: q, value: v)
        expectClose(stages.scores, [[1, 0, 1], [0, 1, 1], [1, 1, 2]])
        #expect(abs(stages.scale - 0.70710678) < 1e-7)
        expectClose(stages.scaledScores, [[0.70710678, 0, 0.70710678], [0, 0.70710678, 0.70710678],
                                          [0.70710678, 0.70710678, 1.41421356]])
        expectClose(stages.weights, [[0.401112093, 0.197775815, 0.401112093],
                                     [0.197775815, 0.401112093, 0.401112093],
                                     [0.248255078, 0.248255078, 0.503489843]])
        expectClose(stages.output, [[3, 4], [3.406672556, 4.406672556], [3.51046953, 4.51046953]], tolerance: 1e-5)
        #expect(stages.mask == nil)
        #expect(stages.maskedScores == stages.scaledScores)
    }

    @Test func causalMaskHidesTheFuture() throws {
        let stages = try scaledDotProductAttention(query: q, key: q, value: v, mask: causalMask(size: 3))
        expectClose(stages.weights, [[1, 0, 0], [0.330238451, 0.669761549, 0], [0.248255078, 0.248255078, 0.503489843]])
        expectClose(stages.output, [[1, 2], [2.339523099, 3.339523099], [3.51046953, 4.51046953]], tolerance: 1e-5)
        // Everything above the diagonal is exactly zero, and −∞ before the softmax.
        for i in 0..<3 {
            for j in (i + 1)..<3 {
                #expect(stages.weights[i, j] == 0)
                #expect(stages.maskedScores[i, j] == -.infinity)
            }
        }
    }

    @Test func rowsSumToOneOnRandomInputs() throws {
        var rng = SeededGenerator(seed: 11)
        let query = Tensor.randomNormal([7, 5], using: &rng)
        let key = Tensor.randomNormal([9, 5], using: &rng)
        let value = Tensor.randomNormal([9, 3], using: &rng)
        let stages = try scaledDotProductAttention(query: query, key: key, value: value)
        #expect(stages.weights.shape == [7, 9])
        #expect(stages.output.shape == [7, 3])
        for row in stages.weights.rows {
            #expect(abs(row.reduce(0, +) - 1) < 1e-6)
            #expect(row.allSatisfy { $0 > 0 })
        }
    }

    @Test func hugeLogitsStayFinite() throws {
        let query = try Tensor([[1e4, -1e4], [-1e4, 1e4]])
        let big = try scaledDotProductAttention(query: query, key: query, value: try Tensor([[1, 2], [3, 4]]))
        #expect(big.weights.scalars.allSatisfy { $0.isFinite })
        #expect(big.output.scalars.allSatisfy { $0.isFinite })
        // Row 0 puts all its weight on key 0, whose score is far larger.
        #expect(abs(big.weights[0, 0] - 1) < 1e-6)
        #expect(big.weights[0, 1] == 0)
    }

    @Test func fullyMaskedRowGivesZerosNotNaN() throws {
        let mask = try Tensor([[1, 1, 1], [0, 1, 1], [0, 0, 0]])
        let stages = try scaledDotProductAttention(query: q, key: q, value: v, mask: mask)
        #expect(stages.weights.row(0) == [0, 0, 0])
        #expect(stages.output.row(0) == [0, 0])
        #expect(stages.weights.scalars.allSatisfy { !$0.isNaN })
        #expect(abs(stages.weights.row(1).reduce(0, +) - 1) < 1e-6)
    }

    @Test func batchedHeadsMatchOneHeadAtATime() throws {
        var rng = SeededGenerator(seed: 5)
        let query = Tensor.randomNormal([2, 4, 3], using: &rng)
        let key = Tensor.randomNormal([2, 6, 3], using: &rng)
        let value = Tensor.randomNormal([2, 6, 2], using: &rng)
        let both = try scaledDotProductAttention(query: query, key: key, value: value)
        for head in 0..<2 {
            func slice(_ t: Tensor) throws -> Tensor {
                let size = t.shape[1] * t.shape[2]
                return try Tensor(shape: [t.shape[1], t.shape[2]], scalars: Array(t.scalars[(head * size)..<((head + 1) * size)]))
            }
            let single = try scaledDotProductAttention(query: slice(query), key: slice(key), value: slice(value))
            let size = 4 * 2
            for (a, b) in zip(Array(both.output.scalars[(head * size)..<((head + 1) * size)]), single.output.scalars) {
                #expect(abs(a - b) < 1e-6)
            }
        }
    }

    @Test func shapeErrorsNameTheShapes() {
        let k3 = Tensor.zeros([3, 3])
        #expect(throws: TensorError.self) { try scaledDotProductAttention(query: q, key: k3, value: v) }
        do {
            _ = try scaledDotProductAttention(query: q, key: q, value: Tensor.zeros([4, 2]))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("[3, 2]"))
            #expect("\(error)".contains("[4, 2]"))
        }
    }
}

@Suite("Masks, tokens, toy embeddings, entropy")
struct SupportTests {
    @Test func causalMaskIsOneStrictlyAboveTheDiagonal() {
        let mask = causalMask(size: 4)
        #expect(mask.rows == [[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
        #expect(visibleKeys(mask: mask, queries: 4, keys: 4) == [[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]])
        #expect(visibleKeys(mask: nil, queries: 2, keys: 3) == [[0, 1, 2], [0, 1, 2]])
        #expect(causalMask(size: 0).count == 0)
    }

    @Test func wordTokenizerSplitsPunctuationAndCJK() {
        let tokenizer = WordTokenizer()
        #expect(tokenizer.tokenize("The animal didn't cross the street because it was too tired.")
                == ["The", "animal", "didn't", "cross", "the", "street", "because", "it", "was", "too", "tired", "."])
        #expect(tokenizer.tokenize("我是一个学生") == ["我", "是", "一", "个", "学", "生"])
        #expect(tokenizer.tokenize("I love you → 我爱你!") == ["I", "love", "you", "→", "我", "爱", "你", "!"])
        #expect(tokenizer.tokenize("   ") == [])
    }

    @Test func toyEmbeddingIsStablePerWordAndSeed() throws {
        let table = ToyEmbedding(dimension: 6, seed: 7)
        #expect(table.vector(for: "The") == table.vector(for: "the"))
        #expect(table.vector(for: "animal") != table.vector(for: "street"))
        #expect(ToyEmbedding(dimension: 6, seed: 8).vector(for: "the") != table.vector(for: "the"))
        let x = try table.embed(["the", "cat", "the"])
        #expect(x.shape == [3, 6])
        #expect(x.row(0) == x.row(2))
        #expect(fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)   // published FNV-1a test vector
    }

    @Test func attentionHeadProjectsThenAttends() throws {
        var rng = SeededGenerator(seed: 3)
        let head = AttentionHead(modelDimension: 4, keyDimension: 2, valueDimension: 3, using: &rng)
        let x = Tensor.randomNormal([5, 4], using: &rng)
        let stages = try head(x)
        // Q = X W_Q by a plain triple loop.
        for t in 0..<5 {
            for j in 0..<2 {
                var sum: Float = 0
                for i in 0..<4 { sum += x[t, i] * head.queryWeights[i, j] }
                #expect(abs(stages.query[t, j] - sum) < 1e-5)
            }
        }
        #expect(stages.output.shape == [5, 3])
    }

    @Test func entropyOfKnownRows() {
        #expect(entropy([1, 0, 0]) == 0)
        #expect(abs(entropy([0.25, 0.25, 0.25, 0.25]) - 1.3862944) < 1e-6)   // ln 4
        #expect(abs(entropy([0.5, 0.5]) - 0.6931472) < 1e-6)                  // ln 2
    }
}
