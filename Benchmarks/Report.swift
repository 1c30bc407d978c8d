import Foundation

/// How a benchmark's numbers read: a time (smaller is better) or a rate (larger is better).
enum Metric {
    /// Seconds per call, shown in milliseconds.
    case milliseconds
    /// `flops` floating-point operations per call, shown as GFLOP/s.
    case gigaflops(flops: Double)
    /// `tokens` tokens per call, shown as tokens/s.
    case tokensPerSecond(tokens: Int)

    /// The shown value for a per-call time in seconds.
    func value(seconds: Double) -> Double {
        switch self {
        case .milliseconds: seconds * 1000
        case .gigaflops(let flops): flops / seconds / 1e9
        case .tokensPerSecond(let tokens): Double(tokens) / seconds
        }
    }

    var unit: String {
        switch self {
        case .milliseconds: "ms"
        case .gigaflops: "GFLOP/s"
        case .tokensPerSecond: "tok/s"
        }
    }

    var higherIsBetter: Bool {
        if case .milliseconds = self { return false }
        return true
    }
}

/// Our speed over the baseline's, so that above 1 always means "we are faster": for times the
/// baseline's over ours, for rates ours over the baseline's.
func speedRatio(ours: Double, baseline: Double, higherIsBetter: Bool) -> Double {
    higherIsBetter ? ours / baseline : baseline / ours
}

/// One line of the table.
struct Row {
    var benchmark: String
    var metric: Metric
    /// Shown values (ms, GFLOP/s or tok/s); nil when not measured.
    var ours: Double?
    var baseline: Double?
    /// The name of the baseline, e.g. "numpy", "matplotlib", "llama.cpp (published)".
    var baselineName: String
    /// The target on the speed ratio: met when ratio ≥ target.
    var target: Double
    /// Why a value is missing, or anything the reader should know.
    var note: String = ""
    /// Ours and the baseline's as a fraction of the machine's limit (`limitName`), when known.
    var oursOfLimit: Double?
    var baselineOfLimit: Double?
    /// "FMA peak" or "memory bandwidth".
    var limitName: String = ""

    /// "81% / 45% of FMA peak", or "–".
    var limitText: String {
        guard oursOfLimit != nil || baselineOfLimit != nil else { return "–" }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.0f%%", 100 * $0) } ?? "–" }
        return "\(percent(oursOfLimit)) / \(percent(baselineOfLimit)) of \(limitName)"
    }

    var ratio: Double? {
        guard let ours, let baseline, ours > 0, baseline > 0 else { return nil }
        return speedRatio(ours: ours, baseline: baseline, higherIsBetter: metric.higherIsBetter)
    }

    /// "yes", "no", or "–" when there is no ratio.
    var met: String {
        guard let ratio else { return "–" }
        return ratio >= target ? "yes" : "no"
    }
}

/// A number with about three significant digits: 0.0123, 1.23, 12.3, 123, 1234.
func formatValue(_ value: Double) -> String {
    let magnitude = abs(value)
    if magnitude >= 100 { return String(format: "%.0f", value) }
    if magnitude >= 10 { return String(format: "%.1f", value) }
    if magnitude >= 1 { return String(format: "%.2f", value) }
    return String(format: "%.3g", value)
}

/// The table as GitHub Markdown: | benchmark | ours | baseline | ratio | target | met |.
func markdownTable(_ rows: [Row]) -> String {
    var lines = ["| benchmark | ours | baseline | ratio | target | met | ours / baseline of the limit |",
                 "| --- | ---: | ---: | ---: | ---: | :---: | ---: |"]
    for row in rows {
        let ours = row.ours.map { "\(formatValue($0)) \(row.metric.unit)" } ?? "–"
        var baseline = row.baseline.map { "\(formatValue($0)) \(row.metric.unit) (\(row.baselineName))" } ?? "–"
        if row.baseline == nil, !row.note.isEmpty { baseline = "– (\(row.note))" }
        let ratio = row.ratio.map { String(format: "%.2f×", $0) } ?? "–"
        let target = String(format: "≥ %g×", row.target)
        lines.append("| \(row.benchmark) | \(ours) | \(baseline) | \(ratio) | \(target) | \(row.met) | \(row.limitText) |")
    }
    return lines.joined(separator: "\n")
}
