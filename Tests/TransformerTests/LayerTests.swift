import Testing
import TensorCore
@testable import Transformer

@Suite("Linear, LayerNorm, Embedding, FeedForward")
struct LayerTests {
    @Test func linearByHand() throws {
        let layer = try Linear(weight: Tensor([[1, 2], [3, 4], [5, 6]]), bias: Tensor([0.5, -1]))
        #expect(layer.inputSize == 3 && layer.outputSize == 2)
        // [1, 0, -1] W = [1 - 5, 2 - 6] = [-4, -4]; + b = [-3.5, -5].
        #expect(try layer(Tensor([[1, 0, -1], [0, 1, 0]])) == Tensor([[-3.5, -5], [3.5, 3]]))
        #expect(try layer(Tensor([1, 0, -1])) == Tensor([-3.5, -5]))   // one vector
        // A batch [B, T, in] is the same as each sequence on its own.
        let batch = randomTensor([2, 4, 3], seed: 10)
        let out = try layer(batch)
        #expect(out.shape == [2, 4, 2])
        for b in 0..<2 {
            let alone = try layer(batch.slice(axis: 0, range: b..<(b + 1)).reshaped([4, 3]))
            expectAllClose(try out.slice(axis: 0, range: b..<(b + 1)).reshaped([4, 2]), alone, tolerance: 1e-6)
        }
        let noBias = try Linear(weight: Tensor([[2], [3]]))
        #expect(try noBias(Tensor([[1, 1]])) == Tensor([[5]]))
        #expect(noBias.parameters.map(\.name) == ["weight"])
        #expect(layer.parameters.map(\.name) == ["weight", "bias"])
        #expect(layer.parameterCount == 3 * 2 + 2 && noBias.parameterCount == 2)
    }

    @Test func linearInitialisationAndErrors() throws {
        var generator = SeededGenerator(seed: 1)
        let layer = Linear(inputSize: 64, outputSize: 32, using: &generator)
        #expect(layer.weight.shape == [64, 32])
        #expect(layer.bias == Tensor.zeros([32]))
        // N(0, 1/64): the sample standard deviation of 2048 draws is close to 1/8.
        let variance = layer.weight.scalars.map { $0 * $0 }.reduce(0, +) / Float(layer.weight.count)
        #expect(abs(variance.squareRoot() - 0.125) < 0.01)
        #expect(Linear(inputSize: 3, outputSize: 2, bias: false, using: &generator).bias == nil)
        #expect(throws: TensorError.self) { try Linear(weight: Tensor.zeros([3, 2]), bias: Tensor.zeros([3])) }
        #expect(throws: TensorError.self) { try Linear(weight: Tensor.zeros([3])) }
        #expect(throws: TensorError.self) { try layer(Tensor.zeros([2, 63])) }
    }

    @Test func layerNormNormalisesEveryToken() throws {
        let norm = LayerNorm(size: 6)
        #expect(norm.gamma == Tensor.ones([6]) && norm.beta == Tensor.zeros([6]))
        let x = randomTensor([2, 3, 6], seed: 11) * 5 + 3
        let y = try norm(x)
        for row in try y.reshaped([6, 6]).rows {
            let mean = row.reduce(0, +) / 6
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            #expect(abs(mean) < 1e-5)
            #expect(abs(variance - 1) < 1e-3)
        }
        let shifted = try LayerNorm(gamma: Tensor([2, 2]), beta: Tensor([1, -1]))
        // [0, 2] normalises to [-1, 1] (up to epsilon); ×2 and shifted: [-1, 1].
        expectAllClose(try shifted(Tensor([[0, 2]])), try Tensor([[-1, 1]]), tolerance: 1e-4)
        #expect(norm.parameters.map(\.name) == ["gamma", "beta"])
        #expect(throws: TensorError.self) { try LayerNorm(gamma: Tensor([1, 1]), beta: Tensor([0])) }
    }

    @Test func embeddingLooksUpRows() throws {
        let table = try Embedding(weight: Tensor([[0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5]]))
        #expect(table.vocabularySize == 4 && table.dimension == 2)
        #expect(try table.lookup([2, 0, 2]) == Tensor([[2, 2.5], [0, 0.5], [2, 2.5]]))
        let batch = try table.lookup(batch: [[3, 1], [0, 0]])
        #expect(batch.shape == [2, 2, 2])
        #expect(batch.scalars == [3, 3.5, 1, 1.5, 0, 0.5, 0, 0.5])
        var generator = SeededGenerator(seed: 2)
        let random = Embedding(vocabularySize: 10, dimension: 8, using: &generator)
        #expect(random.weight.shape == [10, 8])
        #expect(try random.lookup([7]).scalars == random.weight.row(7))
    }

    @Test func embeddingErrorsSayWhatWentWrong() throws {
        let table = try Embedding(weight: Tensor.zeros([4, 2]))
        let error = try #require(throws: TransformerError.self) { try table.lookup([1, 4]) }
        #expect(error == .tokenOutOfRange(id: 4, sequence: nil, position: 1, vocabularySize: 4))
        #expect(error.description == "Embedding: token id 4 at position 1 is out of range; the vocabulary has 4 ids (0..<4)")
        let negative = try #require(throws: TransformerError.self) { try table.lookup(batch: [[0, 1], [2, -1]]) }
        #expect(negative.description.contains("token id -1 at sequence 1, position 1"))
        let ragged = try #require(throws: TransformerError.self) { try table.lookup(batch: [[0, 1], [2]]) }
        #expect(ragged.description.contains("sequence 1 has 1 ids but sequence 0 has 2"))
        #expect(throws: TransformerError.self) { try table.lookup(batch: []) }
        #expect(throws: TensorError.self) { try Embedding(weight: Tensor.zeros([4])) }
    }

    @Test func feedForwardIsLinearActivationLinear() throws {
        var generator = SeededGenerator(seed: 3)
        for activation in Activation.allCases {
            let ffn = FeedForward(modelDimension: 4, hiddenDimension: 6, activation: activation, using: &generator)
            #expect(ffn.expand.weight.shape == [4, 6] && ffn.contract.weight.shape == [6, 4])
            let x = randomTensor([3, 4], seed: 12)
            // The same computation by plain loops.
            var expected = [Float](repeating: 0, count: 12)
            for t in 0..<3 {
                var hidden = [Float](repeating: 0, count: 6)
                for j in 0..<6 {
                    var sum = ffn.expand.bias![j]
                    for i in 0..<4 { sum += x[t, i] * ffn.expand.weight[i, j] }
                    hidden[j] = activation == .relu ? max(0, sum) : Tensor([sum]).gelu().scalars[0]
                }
                for j in 0..<4 {
                    var sum = ffn.contract.bias![j]
                    for i in 0..<6 { sum += hidden[i] * ffn.contract.weight[i, j] }
                    expected[t * 4 + j] = sum
                }
            }
            expectAllClose(try ffn(x), try Tensor(shape: [3, 4], scalars: expected), tolerance: 1e-5, "\(activation)")
            #expect(try ffn(randomTensor([2, 3, 4], seed: 13)).shape == [2, 3, 4])
        }
        // ReLU and GELU differ on the same weights.
        var g1 = SeededGenerator(seed: 4), g2 = SeededGenerator(seed: 4)
        let relu = FeedForward(modelDimension: 4, hiddenDimension: 8, activation: .relu, using: &g1)
        let gelu = FeedForward(modelDimension: 4, hiddenDimension: 8, activation: .gelu, using: &g2)
        let x = randomTensor([2, 4], seed: 14)
        #expect(try relu(x) != gelu(x))
        #expect(relu.parameters.map(\.name) == ["expand.weight", "expand.bias", "contract.weight", "contract.bias"])
    }
}
