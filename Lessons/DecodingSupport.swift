import Foundation
import Localization
import Terminal

/// Terminal bars for a next-token distribution, shared by lessons 0, 7 and 12 and `tx generate`:
///
///     student   ██████████████████████▌  0.93  ← chosen
///     teacher   █▏                       0.05
///
/// The label column is as wide as the longest token (at most 16); pass `labelWidth` to give
/// several blocks one column, so their bars start at the same place.
package func probabilityBars(tokens: [String], probabilities: [Float], chosen: Int? = nil,
                            width: Int = 24, labelWidth: Int? = nil, style: TerminalStyle) -> String {
    let labelWidth = labelWidth ?? min(16, tokens.map(displayWidth).max() ?? 1)
    let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    return tokens.indices.map { index in
        let p = max(0, min(1, probabilities[index]))
        let units = Int((p * Float(width) * 8).rounded())
        let bar = String(repeating: "█", count: units / 8) + eighths[units % 8]
        let label = pad(truncate(tokens[index], to: labelWidth), to: labelWidth)
        let line = "    \(label)  \(pad(bar, to: width))  \(String(format: "%.3f", p))"
        return index == chosen ? style.bold(line + "  " + localized("← chosen")) : line
    }.joined(separator: "\n")
}
