import Testing
@testable import Analysis

@Suite struct RolloutTests {
    /// Two layers, three tokens, computed by hand:
    /// layer 1 (one head) A₁ = [[1,0,0],[.5,.5,0],[.2,.3,.5]] → Â₁ = [[1,0,0],[.25,.75,0],[.1,.15,.75]];
    /// layer 2 (two heads: all on token 0, and the identity) mean = [[1,0,0],[.5,.5,0],[.5,0,.5]]
    /// → Â₂ = [[1,0,0],[.25,.75,0],[.25,0,.75]]; R₂ = Â₂·Â₁ = [[1,0,0],[.4375,.5625,0],[.325,.1125,.5625]].
    static let layers: [[[[Float]]]] = [
        [[[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]]],
        [[[1, 0, 0], [1, 0, 0], [1, 0, 0]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]],
    ]

    @Test func rolloutMatchesTheHandCalculation() {
        let rollout = AttentionRollout.rollout(Self.layers)
        let expected: [[[Double]]] = [
            [[1, 0, 0], [0.25, 0.75, 0], [0.1, 0.15, 0.75]],
            [[1, 0, 0], [0.4375, 0.5625, 0], [0.325, 0.1125, 0.5625]],
        ]
        #expect(rollout.count == 2)
        for l in 0..<2 { for i in 0..<3 { for j in 0..<3 {
            #expect(abs(rollout[l][i][j] - expected[l][i][j]) < 1e-6, "layer \(l) [\(i)][\(j)]")
        } } }
    }

    @Test func aFullyMaskedRowKeepsOnlyItself() {
        let averaged = AttentionRollout.residualAveraged([[[1, 0], [0, 0]]])
        #expect(averaged == [[1, 0], [0, 1]])
    }

    @Test func oneLayerFlowIsTheEdgeCapacity() {
        let flow = AttentionRollout.flow(Array(Self.layers.prefix(1)), query: 2)
        #expect(flow.count == 1)
        for (j, expected) in [0.1, 0.15, 0.75].enumerated() { #expect(abs(flow[0][j] - expected) < 1e-7) }
    }

    @Test func twoLayerFlowByHand() {
        // Into position 2 of layer 2 from input token 1: the only paths go 1 → 1 → 2 (capacities
        // .75 then 0: Â₂[2][1] = 0) and 1 → 2 → 2 (.15 then .75): the flow is min(.15, .75) = .15.
        let flow = AttentionRollout.flow(Self.layers, query: 2)
        #expect(abs(flow[1][1] - 0.15) < 1e-7)
        // Token 0 reaches 2 by 0→0→2 (1, .25), 0→2→2 (.1, .75): .25 + .1 = .35 — and the rollout says .325.
        #expect(abs(flow[1][0] - 0.35) < 1e-7)
    }

    /// Maximum flow against a brute force: the minimum over every cut separating source from
    /// sink (max-flow min-cut), on seeded random graphs of seven nodes.
    @Test func maximumFlowEqualsTheBruteForceMinimumCut() {
        var state: UInt64 = 12345
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for _ in 0..<40 {
            let n = 7
            var network = FlowNetwork(nodeCount: n)
            for u in 0..<n { for v in 0..<n where u != v && next() < 0.45 {
                network.addEdge(from: u, to: v, capacity: (next() * 10).rounded() / 4)
            } }
            let source = 0, sink = n - 1
            var minimumCut = Double.infinity
            for subset in 0..<(1 << (n - 2)) {
                // Nodes 1…n−2 on the source side when their bit is set.
                let sourceSide = (0..<n).map { $0 == source || ($0 != sink && $0 > 0 && subset & (1 << ($0 - 1)) != 0) }
                var cut = 0.0
                for u in 0..<n where sourceSide[u] { for v in 0..<n where !sourceSide[v] { cut += network.capacity(from: u, to: v) } }
                minimumCut = min(minimumCut, cut)
            }
            #expect(abs(network.maximumFlow(from: source, to: sink) - minimumCut) < 1e-7)
        }
    }
}
