import Foundation
import Testing
@testable import Transformer

@Suite("Sampling")
struct SamplingTests {
    static func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test func softmaxIsStableAndGivesZeroToMinusInfinity() throws {
        // Logits of 1000 would overflow exp without subtracting the maximum first.
        let p = try softmax([1000, 1001, -.infinity])
        let e = Float(M_E)
        #expect(Self.close(p, [1 / (1 + e), e / (1 + e), 0]))
        #expect(p.allSatisfy { !$0.isNaN })
        #expect(throws: TransformerError.self) { try softmax([-.infinity, -.infinity]) }
        #expect(throws: TransformerError.self) { try softmax([.nan, 1]) }
        #expect(throws: TransformerError.self) { try softmax([]) }
    }

    @Test func tinyTemperatureEqualsArgmax() throws {
        let logits: [Float] = [1.0, 2.9, 3.0, -.infinity, 2.5]
        #expect(try greedyTokenID(logits) == 2)
        let cold = try softmax(applyTemperature(logits, 1e-3))
        #expect(Self.close(cold, [0, 0, 1, 0, 0]))
        // Sampling at that temperature always draws the argmax.
        var sampler = try Sampler(options: SamplingOptions(temperature: 1e-3, seed: 5))
        for _ in 0..<200 { #expect(try sampler.sample(logits: logits).id == 2) }
        // Ties go to the lower id.
        #expect(try greedyTokenID([0.5, 2, 2, 1]) == 1)
    }

    @Test func temperatureSharpensAndFlattens() throws {
        let logits: [Float] = [2, 1, 0]
        let p1 = try softmax(logits)
        let hot = try softmax(applyTemperature(logits, 2))
        let cold = try softmax(applyTemperature(logits, 0.5))
        #expect(cold[0] > p1[0] && p1[0] > hot[0])
        // T = 2 halves the logits: softmax([1, 0.5, 0]).
        #expect(Self.close(hot, try softmax([1, 0.5, 0])))
        #expect(try applyTemperature([-.infinity, 1], 0.5) == [-.infinity, 2])
    }

    @Test func topKKeepsExactlyKAndRenormalises() throws {
        let p: [Float] = [0.1, 0.4, 0.2, 0.2, 0.1]
        let kept = try topK(p, 2)
        // 0.4 and the first of the two 0.2s (lower id wins the tie): 0.4/0.6, 0.2/0.6.
        #expect(Self.close(kept, [0, 2.0 / 3, 1.0 / 3, 0, 0]))
        #expect(kept.filter { $0 > 0 }.count == 2)
        let three = try topK(p, 3)
        #expect(Self.close(three, [0, 0.5, 0.25, 0.25, 0]))
        #expect(Self.close(try topK(p, 1), [0, 1, 0, 0, 0]))
        #expect(Self.close(try topK(p, 99), p))
        #expect(throws: TransformerError.self) { try topK(p, 0) }
    }

    @Test func topPKeepsTheSmallestPrefixReachingP() throws {
        let p: [Float] = [0.125, 0.5, 0.125, 0.25]
        // Sorted: 0.5 (id 1), 0.25 (id 3), 0.125 (id 0), 0.125 (id 2).
        #expect(Self.close(try topP(p, 0.5), [0, 1, 0, 0]))                 // exactly 0.5: one token
        #expect(Self.close(try topP(p, 0.75), [0, 2.0 / 3, 0, 1.0 / 3]))     // exactly 0.75: two
        #expect(Self.close(try topP(p, 0.76), [0.125 / 0.875, 0.5 / 0.875, 0, 0.25 / 0.875]))   // just over: three
        #expect(Self.close(try topP(p, 0.3), [0, 1, 0, 0]))
        #expect(Self.close(try topP(p, 1), p))
        // A boundary exact on paper but not in binary: 0.5 + 0.3 reaches 0.8.
        let q: [Float] = [0.3, 0.5, 0.2]
        #expect(Self.close(try topP(q, 0.8), [0.375, 0.625, 0]))
        #expect(throws: TransformerError.self) { try topP(p, 0) }
        #expect(throws: TransformerError.self) { try topP(p, 1.01) }
    }

    @Test func invalidOptionsThrowWithAClearMessage() throws {
        for options in [SamplingOptions(temperature: 0), SamplingOptions(temperature: -1), SamplingOptions(temperature: .nan),
                        SamplingOptions(topK: 0), SamplingOptions(topP: 0), SamplingOptions(topP: 1.5)] {
            let error = #expect(throws: TransformerError.self) { try Sampler(options: options) }
            guard case let .invalidInput(operation, reason)? = error else {
                Issue.record("expected invalidInput for \(options)")
                continue
            }
            #expect(operation == "SamplingOptions")
            #expect(reason.contains("got"))
        }
        #expect(throws: TransformerError.self) { try applyTemperature([1, 2], 0) }
    }

    @Test func pipelineStagesAreRecordedAndNaNFree() throws {
        let logits: [Float] = [3, 1, -.infinity, 2, 0.5]
        var sampler = try Sampler(options: SamplingOptions(temperature: 0.7, topK: 3, topP: 0.8, seed: 11))
        let step = try sampler.sample(logits: logits)
        #expect(Self.close(step.original, try softmax(logits)))
        #expect(Self.close(step.afterTemperature, try softmax(logits.map { $0 / 0.7 })))
        #expect(Self.close(step.afterTopK, try topK(step.afterTemperature, 3)))
        #expect(Self.close(step.afterTopP, try topP(step.afterTopK, 0.8)))
        for stage in [step.original, step.afterTemperature, step.afterTopK, step.afterTopP] {
            #expect(stage.allSatisfy { !$0.isNaN })
            #expect(abs(stage.reduce(0, +) - 1) < 1e-5)
            #expect(stage[2] == 0)
        }
        #expect(step.afterTopP[step.id] > 0)
    }

    @Test func sampledFrequenciesMatchTheRenormalisedProbabilities() throws {
        let logits: [Float] = [2.0, 1.5, 1.0, 0.2, -0.5, -1.0, -.infinity]
        let options = SamplingOptions(temperature: 0.9, topK: 5, topP: 0.95, seed: 2024)
        var sampler = try Sampler(options: options)
        let draws = 20_000
        var counts = [Int](repeating: 0, count: logits.count)
        var expected: [Float] = []
        for _ in 0..<draws {
            let step = try sampler.sample(logits: logits)
            counts[step.id] += 1
            expected = step.afterTopP
        }
        #expect(expected.filter { $0 > 0 }.count >= 3)
        for (id, p) in expected.enumerated() {
            let frequency = Double(counts[id]) / Double(draws)
            #expect(abs(frequency - Double(p)) < 0.01, "id \(id): \(frequency) vs \(p)")
            if p == 0 { #expect(counts[id] == 0) }
        }
    }

    @Test func sameSeedSameDrawsAndOtherSeedOtherDraws() throws {
        let logits: [Float] = [1, 0.9, 0.8, 0.7, 0.6, 0.5]
        func draws(seed: UInt64) throws -> [Int] {
            var sampler = try Sampler(options: SamplingOptions(temperature: 1.3, seed: seed))
            return try (0..<100).map { _ in try sampler.sample(logits: logits).id }
        }
        #expect(try draws(seed: 7) == draws(seed: 7))
        #expect(try draws(seed: 7) != draws(seed: 8))
    }

    @Test func topRankedTokenIDsIsThePrefixOfTheFullRanking() {
        // Hand-checked: 0.4 first; the two 0.3s in id order; then 0.2 (id 2) and the 0.1s.
        let small: [Float] = [0.1, 0.3, 0.2, 0.3, 0.4, 0.1]
        #expect(topRankedTokenIDs(small, count: 4) == [4, 1, 3, 2])
        #expect(topRankedTokenIDs(small, count: 10) == [4, 1, 3, 2, 0, 5])
        #expect(topRankedTokenIDs(small, count: 0) == [])
        // Many ties (values from a small set), every prefix length against the full sort.
        var state: UInt64 = 12345
        let values: [Float] = (0..<500).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 60) / 16
        }
        let full = rankedTokenIDs(values)
        for count in [1, 2, 5, 8, 37, 500] {
            #expect(topRankedTokenIDs(values, count: count) == Array(full.prefix(count)), "count \(count)")
        }
    }
}
