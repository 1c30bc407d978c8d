/// Attention rollout and attention flow (Abnar & Zuidema 2020, "Quantifying Attention Flow in
/// Transformers"): how much of each *input* token reaches each position after several layers,
/// which a single layer's raw attention cannot say, because every layer mixes tokens that the
/// layers below already mixed.
///
/// Both start from the same per-layer matrix: the heads' weights averaged, with the residual
/// connection added as an identity, Â = 0.5·A + 0.5·I (rows renormalised, so a fully masked
/// row keeps only itself).
///
/// - **Rollout** multiplies them, R_ℓ = Â_ℓ · R_ℓ₋₁: cheap (one matrix product per layer), but
///   it assumes every path carries its share of the flow, so it smears.
/// - **Flow** treats the layers as a graph whose edge from position j below to position i above
///   has capacity Â_ℓ[i][j], and gives the maximum flow from input token j to position i: exact
///   for that graph, and much more costly (one max-flow problem per pair).
public enum AttentionRollout {
    /// 0.5·mean_h(A_h) + 0.5·I with rows renormalised: the matrix both methods build on.
    /// `heads` is [h][T][T] (one layer).
    public static func residualAveraged(_ heads: [[[Float]]]) -> [[Double]] {
        guard let first = heads.first else { return [] }
        let t = first.count
        var averaged = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
        for head in heads {
            for i in 0..<t { for j in 0..<t { averaged[i][j] += Double(head[i][j]) / Double(heads.count) } }
        }
        for i in 0..<t {
            for j in 0..<t { averaged[i][j] *= 0.5 }
            averaged[i][i] += 0.5
            let sum = averaged[i].reduce(0, +)
            if sum > 0 { averaged[i] = averaged[i].map { $0 / sum } }
        }
        return averaged
    }

    /// The rollout after every layer: `layers` is [L][h][T][T] (every head of every layer, in
    /// order); entry ℓ of the result is R_ℓ [T][T], row i = how much of each input token
    /// position i holds after layer ℓ + 1 (each row sums to 1).
    public static func rollout(_ layers: [[[[Float]]]]) -> [[[Double]]] {
        var result: [[[Double]]] = []
        var current: [[Double]]? = nil
        for layer in layers {
            let a = residualAveraged(layer)
            current = current.map { multiply(a, $0) } ?? a
            result.append(current!)
        }
        return result
    }

    /// Attention flow after every layer, for one query position: entry ℓ is [T], the maximum
    /// flow from each input token to `query` at layer ℓ + 1 through the layer graph.
    public static func flow(_ layers: [[[[Float]]]], query: Int) -> [[Double]] {
        let capacities = layers.map(residualAveraged)
        guard let t = capacities.first?.count, (0..<t).contains(query) else { return [] }
        return (1...capacities.count).map { depth in
            (0..<t).map { input in flowValue(capacities: Array(capacities.prefix(depth)), from: input, to: query) }
        }
    }

    /// The maximum flow from input token `from` (layer 0 of the graph) to position `to` in the
    /// top layer of a graph of `capacities.count` layers, each [T][T] with [i][j] the capacity of
    /// the edge from j below to i above.
    static func flowValue(capacities: [[[Double]]], from: Int, to: Int) -> Double {
        let t = capacities[0].count, levels = capacities.count + 1
        var graph = FlowNetwork(nodeCount: levels * t)
        for (level, matrix) in capacities.enumerated() {
            for i in 0..<t { for j in 0..<t where matrix[i][j] > 0 {
                graph.addEdge(from: level * t + j, to: (level + 1) * t + i, capacity: matrix[i][j])
            } }
        }
        return graph.maximumFlow(from: from, to: (levels - 1) * t + to)
    }

    static func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        let n = a.count, m = b.first?.count ?? 0
        return (0..<n).map { i in
            (0..<m).map { j in
                var sum = 0.0
                for k in 0..<b.count { sum += a[i][k] * b[k][j] }
                return sum
            }
        }
    }
}

/// A directed graph with capacities and Edmonds–Karp maximum flow (augmenting along shortest
/// paths found by breadth-first search), small and exact enough for attention graphs of a few
/// hundred nodes.
package struct FlowNetwork: Sendable {
    package let nodeCount: Int
    /// capacity[u][v]; residual capacities are kept in the same matrix during a run.
    private var capacity: [[Double]]

    package init(nodeCount: Int) {
        self.nodeCount = nodeCount
        capacity = [[Double]](repeating: [Double](repeating: 0, count: nodeCount), count: nodeCount)
    }

    package mutating func addEdge(from u: Int, to v: Int, capacity c: Double) {
        capacity[u][v] += c
    }

    package func capacity(from u: Int, to v: Int) -> Double { capacity[u][v] }

    /// The value of a maximum flow from `source` to `sink` (0 when they are the same node).
    package func maximumFlow(from source: Int, to sink: Int) -> Double {
        guard source != sink else { return 0 }
        var residual = capacity
        var adjacency = [[Int]](repeating: [], count: nodeCount)
        for u in 0..<nodeCount { for v in 0..<nodeCount where capacity[u][v] > 0 || capacity[v][u] > 0 {
            adjacency[u].append(v)
        } }
        var total = 0.0
        while true {
            var parent = [Int](repeating: -1, count: nodeCount)
            parent[source] = source
            var queue = [source], head = 0
            while head < queue.count, parent[sink] == -1 {
                let u = queue[head]; head += 1
                for v in adjacency[u] where parent[v] == -1 && residual[u][v] > 1e-12 {
                    parent[v] = u
                    queue.append(v)
                }
            }
            guard parent[sink] != -1 else { return total }
            var bottleneck = Double.infinity
            var v = sink
            while v != source { bottleneck = min(bottleneck, residual[parent[v]][v]); v = parent[v] }
            v = sink
            while v != source {
                residual[parent[v]][v] -= bottleneck
                residual[v][parent[v]] += bottleneck
                v = parent[v]
            }
            total += bottleneck
        }
    }
}
