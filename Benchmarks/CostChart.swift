import Figures
import Foundation
import Synchronization
import ModelIO
import TensorCore
import Transformer

/// Least-squares fit of t ≈ a·n + b·n², made as a straight line through the time per token,
/// t/n ≈ a + b·n, so short and long sequences weigh alike. nil for fewer than two points or
/// all-equal lengths; NaN times are left out; a and b are kept ≥ 0.
func fitLinearQuadratic(_ ns: [Double], _ times: [Double]) -> (a: Double, b: Double)? {
    let points = zip(ns, times).filter { $0.0 > 0 && $0.1.isFinite }.map { (x: $0.0, y: $0.1 / $0.0) }
    guard points.count >= 2 else { return nil }
    let count = Double(points.count)
    let meanX = points.map(\.x).reduce(0, +) / count, meanY = points.map(\.y).reduce(0, +) / count
    let sxx = points.map { ($0.x - meanX) * ($0.x - meanX) }.reduce(0, +)
    guard sxx > 0 else { return nil }
    let sxy = points.map { ($0.x - meanX) * ($0.y - meanY) }.reduce(0, +)
    let b = sxy / sxx, a = meanY - b * meanX
    if a >= 0 && b >= 0 { return (a, b) }
    // Costs are never negative: refit with the offending coefficient held at zero.
    if a < 0 {
        let sx2 = points.map { $0.x * $0.x }.reduce(0, +), sxy0 = points.map { $0.x * $0.y }.reduce(0, +)
        return (0, max(0, sxy0 / sx2))
    }
    return (meanY, 0)
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
        // One thread, as the chart says: the products would otherwise take every core.
        MatmulKernel.automaticThreadLimit.store(1, ordering: .relaxed)
        defer { MatmulKernel.automaticThreadLimit.store(.max, ordering: .relaxed) }

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
        let fit = fitLinearQuadratic(ns, encoderTimes)
        let attentionFit = fitLinearQuadratic(ns, attentionTimes)

        // A 2 × 2 grid: rows are the model forward and attention (whose times differ tenfold, so each
        // gets its own y axis); columns are the time itself, where the n² term bends the curve up,
        // and the time per token, where linear cost would be flat and the n² term is a rising line.
        let palette = FigureStyle.palette
        func panel(_ title: String, _ subtitle: String, perToken: Bool, _ named: [(String, [Double], RGB)],
                   fit: (a: Double, b: Double)?, fitName: String) -> LineChart {
            var series = named.filter { !$0.1.allSatisfy(\.isNaN) }.map { name, times, color in
                LineChart.Series(name: name, x: ns, y: zip(ns, times).map { perToken ? $1 / $0 * 1e6 : $1 * 1000 },
                                 color: color)
            }
            if let fit {
                let dense = stride(from: ns.first!, through: ns.last!, by: 8).map { $0 }
                let y = dense.map { n in (fit.a * n + fit.b * n * n) * (perToken ? 1e6 / n : 1000) }
                series.append(LineChart.Series(name: fitName, x: dense, y: y, color: RGB(hex: 0x555555),
                                               dashed: true, showMarkers: false, lineWidth: 1.5))
            }
            return LineChart(title: title, xLabel: "sequence length n (tokens)",
                             yLabel: perToken ? "time ÷ n (µs per token)" : "time (ms)", series: series,
                             subtitle: subtitle, plotSize: Size(width: 420, height: 260))
        }
        let model: [(String, [Double], RGB)] = [
            ("encoder, random weights", encoderTimes, palette[0]),
            ("MiniLM, real (n ≤ 512)", minilmTimes, palette[1]),
        ]
        let attentionSeries: [(String, [Double], RGB)] = [
            ("multi-head attention", attentionTimes, palette[2]),
            ("core: softmax(QKᵀ/√d)·V", coreTimes, palette[3]),
        ]
        let encoderNote = "6 layers, d 384, 12 heads, feed-forward 1536"
        let attentionNote = "12 heads × 32 dims; multi-head includes the 4 projections"
        let panels = [
            panel("(a) Encoder forward: time", encoderNote, perToken: false, model, fit: fit, fitName: "fit a·n + b·n²"),
            panel("(b) Encoder forward: time per token", encoderNote, perToken: true, model, fit: fit, fitName: "fit a + b·n"),
            panel("(c) Attention: time", attentionNote, perToken: false, attentionSeries, fit: attentionFit, fitName: "fit a·n + b·n²"),
            panel("(d) Attention: time per token", attentionNote, perToken: true, attentionSeries, fit: attentionFit,
                  fitName: "fit a + b·n"),
        ]
        var subtitle = "Ours, release build, one thread, median of \(repeats) runs. Linear cost would be flat on the right; the n² term of attention makes it rise."
        if let fit {
            subtitle += String(format: " Encoder: the n² term is %.0f%% of the time at n = 1024.",
                               100 * fit.b * 1024 / (fit.a + fit.b * 1024))
        }
        let chart = PanelGrid(title: "How cost grows with sequence length", columns: 2, panels: panels, subtitle: subtitle)
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
            func share(_ n: Double) -> Double { 100 * f.b * n / (f.a + f.b * n) }
            lines.append(String(format: "- %@: t ≈ %.3g µs·n + %.3g ns·n² (least squares on time per token); the n² term is "
                + "%.0f%% of the time at n = 128 and %.0f%% at n = 1024.", name, f.a * 1e6, f.b * 1e9, share(128), share(1024)))
        }
        lines.append("- The attention core (Q·Kᵀ, softmax, ·V for 12 heads of 32 dims, no projections) does only n² work.")
        lines.append("- The encoder is MiniLM-sized (d 384, 12 heads, feed-forward 1536, post-norm, GELU) with random "
            + "weights, because MiniLM's learned position table stops at 512; MiniLM itself is drawn up to 512 and "
            + "costs the same as the random encoder (plus its embedding look-up).")
        return lines.joined(separator: "\n")
    }
}
