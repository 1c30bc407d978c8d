import Foundation
import Testing
import TensorCore

@Suite("RLHF ops: Bradley–Terry, log-probabilities, PPO's clipped objective")
struct PreferenceOpsTests {
    /// r⁺ = [2, 0.5], r⁻ = [1, 1.5]: differences 1 and −1.
    ///     loss = ½(−log σ(1) − log σ(−1)) = ½(0.3132617 + 1.3132617) = 0.8132617
    ///     d loss / d r⁺_i = −σ(−d_i)/2: −0.1344707 (d = 1), −0.3655293 (d = −1); r⁻ the opposite.
    @Test func bradleyTerryLossAndGradientMatchTheHandCalculation() throws {
        let preferred = Variable(try Tensor(shape: [2], scalars: [2, 0.5]))
        let rejected = Variable(try Tensor(shape: [2], scalars: [1, 1.5]))
        let loss = -(try (preferred - rejected).logSigmoid().mean())
        #expect(abs(loss.value.scalars[0] - 0.8132617) < 1e-6)
        try loss.backward()
        let gPreferred = try #require(preferred.gradient).scalars
        let gRejected = try #require(rejected.gradient).scalars
        #expect(abs(gPreferred[0] + 0.1344707) < 1e-6 && abs(gPreferred[1] + 0.3655293) < 1e-6)
        #expect(abs(gRejected[0] - 0.1344707) < 1e-6 && abs(gRejected[1] - 0.3655293) < 1e-6)
    }

    @Test func logSigmoidIsStableFarFromZero() throws {
        let x = Variable(try Tensor(shape: [3], scalars: [-200, 0, 200]))
        let y = x.logSigmoid()
        #expect(y.value.scalars[0] == -200)
        #expect(abs(y.value.scalars[1] + 0.6931472) < 1e-6)
        #expect(y.value.scalars[2] == 0)
        try y.sum().backward()
        #expect(try #require(x.gradient).scalars == [1, 0.5, 0])
    }

    /// ε = 0.2. Inside the range the term is r·A with slope A; outside, the gradient stops only
    /// where the clipped value is the smaller one (r too high with A > 0, r too low with A < 0).
    @Test func clippedSurrogateInsideAndOutsideTheRange() {
        let cases: [(ratio: Float, advantage: Float, value: Float, slope: Float)] = [
            (1.1, 2, 2.2, 2),        // inside: unclipped
            (1.5, 2, 2.4, 0),        // above 1 + ε with A > 0: clipped at 1.2·2, no gradient
            (0.5, 2, 1.0, 2),        // below 1 − ε with A > 0: r·A is smaller, gradient flows
            (0.5, -1, -0.8, 0),      // below 1 − ε with A < 0: clipped at 0.8·(−1), no gradient
            (1.5, -1, -1.5, -1),     // above 1 + ε with A < 0: r·A is smaller, gradient flows
        ]
        for c in cases {
            let term = clippedSurrogate(ratio: c.ratio, advantage: c.advantage, clip: 0.2)
            #expect(abs(term.value - c.value) < 1e-6, "r = \(c.ratio), A = \(c.advantage)")
            #expect(term.slope == c.slope, "r = \(c.ratio), A = \(c.advantage)")
        }
    }

    /// The loss over tokens: −mean of the terms; d loss / d log π_t = −slope_t · r_t / n.
    @Test func clippedSurrogateLossAndGradient() throws {
        let ratios: [Float] = [1.1, 1.5, 0.5, 0.5]
        let advantages: [Float] = [2, 2, 2, -1]
        let logProbabilities = Variable(try Tensor(shape: [4], scalars: ratios.map { Foundation.log($0) - 1 }))
        let loss = try logProbabilities.clippedSurrogateLoss(oldLogProbabilities: [-1, -1, -1, -1],
                                                             advantages: advantages, clip: 0.2)
        // Terms 2.2, 2.4, 1.0, −0.8 → mean 1.2.
        #expect(abs(loss.value.scalars[0] + 1.2) < 1e-5)
        try loss.backward()
        let gradient = try #require(logProbabilities.gradient).scalars
        let expected: [Float] = [-2 * 1.1 / 4, 0, -2 * 0.5 / 4, 0]
        for (g, e) in zip(gradient, expected) { #expect(abs(g - e) < 1e-5) }
    }

    @Test func selectedLogProbabilitiesMatchLogSoftmax() throws {
        let logits = Variable(try Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0]))
        let picked = try logits.selectedLogProbabilities([2, 0])
        // log softmax([1, 2, 3])[2] = 3 − log(e + e² + e³) = −0.4076060; uniform: −log 3.
        #expect(abs(picked.value.scalars[0] + 0.4076060) < 1e-6)
        #expect(abs(picked.value.scalars[1] + 1.0986123) < 1e-6)
        #expect(throws: TensorError.self) { try logits.selectedLogProbabilities([3, 0]) }
    }

    @Test func gradientsAgreeWithFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([6], using: &rng) * 3
        try checkGradients([x]) { $0[0].logSigmoid() }
        let logits = Tensor.randomNormal([3, 5], using: &rng)
        try checkGradients([logits]) { try $0[0].selectedLogProbabilities([4, 0, 2]) }
        // Ratios near 1 (inside the clip range, away from its kinks).
        let old: [Float] = [-1.2, -0.7, -2.0]
        let current = try Tensor(shape: [3], scalars: [-1.15, -0.72, -1.95])
        try checkGradients([current]) { try $0[0].clippedSurrogateLoss(oldLogProbabilities: old, advantages: [1.5, -0.5, 0.8], clip: 0.2) }
    }
}
