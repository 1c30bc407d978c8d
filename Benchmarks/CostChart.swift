import Figures
import Foundation
import ModelIO
import TensorCore
import Transformer

/// Least-squares fit t ≈ c + a·n + b·n²; nil when the points do not determine it.
func fitQuadratic(_ points: [(n: Double, t: Double)]) -> (c: Double, a: Double, b: Double)? {
    guard points.count >= 3 else { return nil }
    // Normal equations (XᵀX) β = Xᵀt with rows (1, n, n²), solved by Gaussian elimination.
    var m = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 3)
    for (n, t) in points {
        let x = [1, n, n * n]
        for i in 0..<3 {
            for j in 0..<3 { m[i][j] += x[i] * x[j] }
            m[i][3] += x[i] * t
        }
    }
    for column in 0..<3 {
        guard let pivot = (column..<3).max(by: { abs(m[$0][column]) < abs(m[$1][column]) }),
              abs(m[pivot][column]) > 1e-300 else { return nil }
        m.swapAt(column, pivot)
        for row in 0..<3 where row != column {
            let factor = m[row][column] / m[column][column]
            for j in column..<4 { m[row][j] -= factor * m[column][j] }
        }
    }
    return (m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2])
}

extension Bench {
    /// Attention and a forward pass timed against sequence length, drawn to `chartPath`.
    /// Returns the Markdown section for the report.
    func cost(chartPath: String) throws -> String {
        let lengths = quick ? [16, 64, 128, 256, 512, 1024] : [16, 32, 64, 128, 192, 256, 384, 512, 640, 768, 896, 1024]
        let repeats = quick ? 2 : 3
        let d = 384, heads = 12, ff = 1536, layers = 6
        var generator = SeededGenerator(seed: 5)
        let attention = try MultiHeadAttention(modelDimension: d, heads: heads, using: &generator)
        let encoder = try (0..<layers).map { _ in
            try EncoderLayer(modelDimension: d, heads: heads, feedForwardDimension: ff, activation: .gelu,
                             normPlacement: .post, using: &generator)
        }
        let minilm = try? BertEncoderModel.loadInstalled()

        func time(_ work: () throws -> Void) rethrows -> Double {
            try work()
            var samples: [Double] = []
            for _ in 0..<repeats {
                let start = now()
                try work()
                samples.append(now() - start)
            }
            return median(samples) ?? .nan
        }

        var attentionTimes: [Double] = [], coreTimes: [Double] = [], encoderTimes: [Double] = [], minilmTimes: [Double] = []
        for n in lengths {
            let x = Tensor.randomNormal([n, d], using: &generator)
            let q = Tensor.randomNormal([heads, n, d / heads], using: &generator)
            let k = Tensor.randomNormal([heads, n, d / heads], using: &generator)
            let v = Tensor.randomNormal([heads, n, d / heads], using: &generator)
            attentionTimes.append(try time { _ = try attention(x) })
            coreTimes.append(try time { _ = try scaledDotProductAttention(query: q, key: k, value: v) })
            encoderTimes.append(try time {
                var h = x
                for layer in encoder { h = try layer(h).output }
            })
            if let minilm, n <= minilm.configuration.maximumPositions {
                let ids = [101] + (0..<(n - 2)).map { _ in Int.random(in: 1000..<30000, using: &generator) } + [102]
                minilmTimes.append(try time { _ = try minilm.forward(ids: ids) })
            } else {
                minilmTimes.append(.nan)
            }
            print(String(format: "  cost n = %4d: attention %.2f ms, attention core %.2f ms, encoder %.1f ms%@", n,
                         attentionTimes.last! * 1000, coreTimes.last! * 1000, encoderTimes.last! * 1000,
                         minilmTimes.last!.isNaN ? "" : String(format: ", MiniLM %.1f ms", minilmTimes.last! * 1000)))
            fflush(nil)
        }

        let ns = lengths.map(Double.init)
        let fit = fitQuadratic(zip(ns, encoderTimes).map { (n: $0, t: $1) })
        let attentionFit = fitQuadratic(zip(ns, attentionTimes).map { (n: $0, t: $1) })

        // (a) time in ms; (b) time per token in µs: flat for linear cost, a rising line for the n² term.
        let palette = FigureStyle.palette
        let named: [(String, [Double], RGB)] = [
            ("encoder, 6 layers, MiniLM size, random weights", encoderTimes, palette[0]),
            ("MiniLM, real weights (≤ 512 positions)", minilmTimes, palette[1]),
            ("multi-head attention, 12 heads, d 384", attentionTimes, palette[2]),
            ("attention core softmax(QKᵀ/√d)·V", coreTimes, palette[3]),
        ]
        func series(perToken: Bool) -> [LineChart.Series] {
            var result = named.filter { !$0.1.allSatisfy(\.isNaN) }.map { name, times, color in
                LineChart.Series(name: name, x: ns, y: zip(ns, times).map { perToken ? $1 / $0 * 1e6 : $1 * 1000 },
                                 color: color)
            }
            if let fit {
                let dense = stride(from: ns.first!, through: ns.last!, by: 8).map { $0 }
                let y = dense.map { n in (fit.c + fit.a * n + fit.b * n * n) * (perToken ? 1e6 / n : 1000) }
                result.append(LineChart.Series(name: "fit c + a·n + b·n² (encoder)", x: dense, y: y, color: RGB(hex: 0x555555),
                                               dashed: true, showMarkers: false, lineWidth: 1.5))
            }
            return result
        }
        let total = LineChart(title: "(a) Time per forward pass", xLabel: "sequence length n (tokens)",
                              yLabel: "time (ms)", series: series(perToken: false),
                              subtitle: "grows faster than n: the curve bends upward",
                              plotSize: Size(width: 460, height: 340))
        let perToken = LineChart(title: "(b) Time per token", xLabel: "sequence length n (tokens)",
                                 yLabel: "time ÷ n (µs per token)", series: series(perToken: true),
                                 subtitle: "flat = linear cost; the rise is the n² term of attention",
                                 plotSize: Size(width: 460, height: 340))
        var subtitle = "Release build, one thread, median of \(repeats) runs."
        if let fit {
            let share = fit.b * 1024 * 1024 / (fit.c + fit.a * 1024 + fit.b * 1024 * 1024)
            subtitle += String(format: " Encoder fit: b·n² is %.0f%% of the time at n = 1024.", share * 100)
        }
        let chart = PanelGrid(title: "How cost grows with sequence length", columns: 2, panels: [total, perToken],
                              subtitle: subtitle)
        try render(chart, to: chartPath, scale: 2)
        print("  wrote \(chartPath)")

        var lines = ["## How cost grows with sequence length", "",
                     "Ours only, one thread, median of \(repeats) runs; chart: `\(chartPath)`.", "",
                     "| n | attention core (ms) | multi-head attention (ms) | encoder, 6 layers (ms) | MiniLM (ms) |",
                     "| ---: | ---: | ---: | ---: | ---: |"]
        for (i, n) in lengths.enumerated() {
            let mini = minilmTimes[i].isNaN ? "–" : formatValue(minilmTimes[i] * 1000)
            lines.append("| \(n) | \(formatValue(coreTimes[i] * 1000)) | \(formatValue(attentionTimes[i] * 1000)) | "
                + "\(formatValue(encoderTimes[i] * 1000)) | \(mini) |")
        }
        lines.append("")
        for (name, f) in [("encoder", fit), ("multi-head attention", attentionFit)] {
            guard let f else { continue }
            let share1024 = f.b * 1024 * 1024 / (f.c + f.a * 1024 + f.b * 1024 * 1024)
            let share128 = f.b * 128 * 128 / (f.c + f.a * 128 + f.b * 128 * 128)
            lines.append(String(format: "- %@: t ≈ %.3g ms + %.3g µs·n + %.3g ns·n²; the n² term is %.0f%% of the time at n = 128 "
                + "and %.0f%% at n = 1024.", name, f.c * 1000, f.a * 1e6, f.b * 1e9, share128 * 100, share1024 * 100))
        }
        lines.append("- The encoder is MiniLM-sized (d 384, 12 heads, feed-forward 1536, post-norm, GELU) with random "
            + "weights, because MiniLM's learned position table stops at 512; MiniLM itself is drawn up to 512 and "
            + "costs the same as the random encoder (plus its embedding look-up).")
        return lines.joined(separator: "\n")
    }
}
