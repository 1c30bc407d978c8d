#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TensorCore

@Suite("Autograd: backward passes")
struct BackwardTests {
    @Test("cross-entropy of a 2x3 example with one ignored row, by hand")
    func crossEntropyByHand() throws {
        // Row 0: logits [1, 2, 3], target 2. logsumexp = 3 + log(e⁻² + e⁻¹ + 1) = 3.4076059644,
        //        loss = 3.4076059644 − 3 = 0.4076059644,
        //        softmax = [0.0900305732, 0.2447284711, 0.6652409558], gradient = softmax − onehot.
        // Row 1: target -100, ignored. The mean is over the one counted row.
        let logits = Variable(try Tensor([[1, 2, 3], [0, 0, 0]]))
        let loss = try logits.crossEntropy(targets: [2, -100])
        #expect(loss.shape == [])
        #expect(abs(loss.value.scalars[0] - 0.4076059644) <= 1e-6)
        try loss.backward()
        let gradient = try #require(logits.gradient)
        expectClose(gradient.scalars, [0.0900305732, 0.2447284711, 0.6652409558 - 1, 0, 0, 0],
                    relativeTolerance: 1e-6)

        // With label smoothing 0.1: q = [0.1/3, 0.1/3, 0.9 + 0.1/3], loss = logsumexp − Σ q·z
        // = 3.4076059644 − (0.0333333 + 0.0666667 + 2.8) = 0.5076059644.
        let smoothed = try Variable(logits.value).crossEntropy(targets: [2, -100], labelSmoothing: 0.1)
        #expect(abs(smoothed.value.scalars[0] - 0.5076059644) <= 1e-6)
    }

    @Test("cross-entropy rejects bad targets; all rows ignored gives 0 with zero gradient")
    func crossEntropyEdges() throws {
        let logits = Variable(try Tensor([[1, 2, 3], [0, 0, 0]]))
        #expect(throws: TensorError.self) { try logits.crossEntropy(targets: [3, 0]) }
        #expect(throws: TensorError.self) { try logits.crossEntropy(targets: [0]) }
        let none = try logits.crossEntropy(targets: [-100, -100])
        #expect(none.value.scalars == [0])
        try none.backward()
        #expect(logits.gradient == Tensor.zeros([2, 3]))
    }

    @Test("two backward passes give twice the gradient; zeroGradients resets")
    func accumulation() throws {
        let w = Variable(try Tensor([[0.5, -1], [2, 0.25]]), name: "w")
        let x = Variable(try Tensor([[1, 2], [3, 4]]))
        // loss = Σ (x·w)²: a shared interior node, so a wrong accumulation would show.
        let y = try x.matmul(w)
        let loss = try (y * y).sum()
        try loss.backward()
        let once = try #require(w.gradient)
        // d/dw Σ (xw)² = 2·xᵀ·(xw). xw = [[4.5, -0.5], [9.5, -2]];
        // xᵀ·(xw) = [[1·4.5 + 3·9.5, 1·(-0.5) + 3·(-2)], [2·4.5 + 4·9.5, 2·(-0.5) + 4·(-2)]]
        //         = [[33, -6.5], [47, -9]], times 2:
        #expect(once == (try Tensor([[66, -13], [94, -18]])))
        try loss.backward()
        #expect(w.gradient == once * 2)
        var parameters = ParameterCollection()
        try parameters.add("w", w)
        parameters.zeroGradients()
        #expect(w.gradient == nil)
        try loss.backward()
        #expect(w.gradient == once)
    }

    @Test("backward needs a single scalar")
    func backwardNeedsScalar() throws {
        let x = Variable(Tensor([1, 2]))
        #expect(throws: TensorError.self) { try (x * 2).backward() }
    }
}

@Suite("Training: parameters, AdamW, clipping, schedule")
struct TrainingTests {
    @Test("ParameterCollection keeps order, counts, and saves and loads values")
    func parameterCollection() throws {
        var parameters = ParameterCollection()
        let a = Variable(Tensor.ones([2, 3])), b = Variable(Tensor([1, 2]))
        try parameters.add("a", a)
        try parameters.add("b", b)
        #expect(throws: ParameterError.duplicateName("a")) { try parameters.add("a", b) }
        #expect(parameters.names == ["a", "b"])
        #expect(parameters.count == 2)
        #expect(parameters.scalarCount == 8)
        #expect(parameters["b"] === b)
        #expect(a.name == "a")

        let saved = Dictionary(uniqueKeysWithValues: parameters.values.map { ($0.name, $0.value) })
        a.value = Tensor.zeros([2, 3])
        try parameters.load(saved)
        #expect(a.value == Tensor.ones([2, 3]))

        #expect(throws: ParameterError.missing("b")) { try parameters.load(["a": Tensor.ones([2, 3])]) }
        #expect(throws: ParameterError.shapeMismatch(name: "b", expected: [2], got: [3])) {
            try parameters.load(["a": Tensor.ones([2, 3]), "b": Tensor.ones([3])])
        }
        #expect(throws: ParameterError.unexpected("c")) {
            try parameters.load(["a": Tensor.ones([2, 3]), "b": Tensor.ones([2]), "c": Tensor.ones([1])])
        }
        #expect(a.value == Tensor.ones([2, 3]))   // a failed load changes nothing

        var nested = ParameterCollection()
        try nested.add(contentsOf: parameters, prefix: "layer0.")
        #expect(nested.names == ["layer0.a", "layer0.b"])
    }

    @Test("AdamW: the first two steps on loss = p², by hand")
    func adamWByHand() throws {
        // lr 0.1, weight decay 0.1, β1 0.9, β2 0.999, ε 1e-8, p₀ = 1, gradient 2p.
        // Step 1: g = 2. p ← 1 − 0.1·0.1·1 = 0.99. m = 0.1·2 = 0.2, v = 0.001·4 = 0.004.
        //         m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4. p ← 0.99 − 0.1·2/(2 + 1e-8) = 0.89.
        // Step 2: g = 2·0.89 = 1.78. p ← 0.89 − 0.01·0.89 = 0.8811.
        //         m = 0.9·0.2 + 0.1·1.78 = 0.358,   v = 0.999·0.004 + 0.001·1.78² = 0.0071644.
        //         m̂ = 0.358/0.19 = 1.8842105,     v̂ = 0.0071644/0.001999 = 3.5839920.
        //         p ← 0.8811 − 0.1·1.8842105/(√3.5839920 + 1e-8) = 0.8811 − 0.0995282 = 0.7815719.
        let p = Variable(Tensor([1]))
        var parameters = ParameterCollection()
        try parameters.add("p", p)
        var optimizer = AdamW(learningRate: 0.1, weightDecay: 0.1)
        var after: [Float] = []
        for _ in 0..<2 {
            parameters.zeroGradients()
            try (p * p).sum().backward()
            optimizer.update(parameters)
            after.append(p.value.scalars[0])
        }
        #expect(abs(after[0] - 0.89) <= 1e-6)
        #expect(abs(after[1] - 0.7815719) <= 1e-6)
        #expect(optimizer.step == 2)
    }

    @Test("AdamW skips parameters without a gradient")
    func adamWSkips() throws {
        let p = Variable(Tensor([3]))
        var parameters = ParameterCollection()
        try parameters.add("p", p)
        var optimizer = AdamW(learningRate: 0.1, beta2: 0.98)
        optimizer.update(parameters)
        #expect(p.value == Tensor([3]))
    }

    @Test("clipping by global norm scales a known gradient to the known norm")
    func clipping() throws {
        let a = Variable(Tensor([0, 0])), b = Variable(Tensor([0])), c = Variable(Tensor([5]))
        a.gradient = Tensor([3, 4])
        b.gradient = Tensor([12])
        var parameters = ParameterCollection()
        try parameters.add("a", a)
        try parameters.add("b", b)
        try parameters.add("c", c)   // no gradient: skipped
        // Global norm √(9 + 16 + 144) = 13; clipping to 6.5 halves every gradient.
        let norm = parameters.clipGradients(maxNorm: 6.5)
        #expect(abs(norm - 13) <= 1e-6)
        expectClose(a.gradient!.scalars, [1.5, 2], relativeTolerance: 1e-6)
        expectClose(b.gradient!.scalars, [6], relativeTolerance: 1e-6)
        #expect(c.gradient == nil)
        // Already within the limit: unchanged.
        #expect(abs(parameters.clipGradients(maxNorm: 100) - 6.5) <= 1e-5)
        expectClose(a.gradient!.scalars, [1.5, 2], relativeTolerance: 1e-6)
    }

    @Test("learning-rate schedule: warm-up then cosine")
    func cosineSchedule() {
        let schedule = LearningRateSchedule(peakRate: 1e-3, warmupSteps: 10,
                                            decay: .cosine(totalSteps: 110, minimumRate: 1e-4))
        #expect(schedule.rate(at: 0) == 0)
        #expect(abs(schedule.rate(at: 5) - 5e-4) <= 1e-9)
        #expect(abs(schedule.rate(at: 10) - 1e-3) <= 1e-9)
        // Half-way through the decay the cosine is at its middle: (1e-3 + 1e-4)/2.
        #expect(abs(schedule.rate(at: 60) - 5.5e-4) <= 1e-9)
        #expect(abs(schedule.rate(at: 110) - 1e-4) <= 1e-9)
        #expect(abs(schedule.rate(at: 500) - 1e-4) <= 1e-9)
    }

    @Test("learning-rate schedule: the Transformer paper's inverse square root")
    func transformerSchedule() {
        let schedule = LearningRateSchedule.transformer(dModel: 512, warmupSteps: 4000)
        // The paper: lrate = d_model^-0.5 · min(step^-0.5, step · warmup^-1.5).
        func paper(_ step: Double) -> Double { pow(512, -0.5) * min(pow(step, -0.5), step * pow(4000, -1.5)) }
        for step in [1, 100, 2000, 4000, 4001, 16000, 100_000] {
            let got = Double(schedule.rate(at: step))
            #expect(abs(got - paper(Double(step))) <= 1e-6 * paper(Double(step)), "step \(step)")
        }
        #expect(abs(schedule.rate(at: 4000) - 6.98771e-4) <= 1e-8)
    }

    @Test("end to end: softmax regression fits a separable toy set with AdamW")
    func endToEnd() throws {
        // Three classes of 2-D points around (2, 0), (-2, 0) and (0, 2.5).
        var rng = SeededGenerator(seed: 42)
        let centres: [(Float, Float)] = [(2, 0), (-2, 0), (0, 2.5)]
        var points: [Float] = [], labels: [Int] = []
        for i in 0..<30 {
            let label = i % 3
            points += [centres[label].0 + 0.3 * rng.nextNormal(), centres[label].1 + 0.3 * rng.nextNormal()]
            labels.append(label)
        }
        let x = Variable(try Tensor(shape: [30, 2], scalars: points))
        let w = Variable(Tensor.randomNormal([2, 3], standardDeviation: 0.1, using: &rng))
        let b = Variable(Tensor.zeros([3]))
        var parameters = ParameterCollection()
        try parameters.add("w", w)
        try parameters.add("b", b)
        var optimizer = AdamW(learningRate: 0.1, weightDecay: 0)

        func loss() throws -> Variable { try (try x.matmul(w) + b).crossEntropy(targets: labels) }
        let initial = try loss().value.scalars[0]
        for _ in 0..<300 {
            parameters.zeroGradients()
            try loss().backward()
            parameters.clipGradients(maxNorm: 5)
            optimizer.update(parameters)
        }
        let final = try loss().value.scalars[0]
        #expect(initial > 0.9)
        #expect(final < 0.01, "final loss \(final)")
        let predictions = try x.value.matmul(w.value) + b.value
        for (i, label) in labels.enumerated() {
            let row = predictions.row(i)
            #expect(row.firstIndex(of: row.max()!) == label)
        }
    }
}
