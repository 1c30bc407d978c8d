import Localization
import TensorCore
import Terminal

/// The pieces every lesson page is made of: wrapped prose, aligned matrices, coloured
/// heatmaps and "figure → path" lines, all in the lesson's terminal style.
struct Narrator {
    let style: TerminalStyle

    /// Prose in the lesson's language (`Language.current`), marked for the pager, which wraps it
    /// to the screen as it is when the page is shown (at most 96 columns, so lines stay readable).
    /// The English is the key of the translation: see `LocalizedText`.
    func prose(_ text: LocalizedText) -> String { reflowable(text.localized) }

    /// Text that is not translated (a token list) or was translated already, marked for the
    /// pager like `prose`.
    func verbatim(_ text: String) -> String { reflowable(text) }

    func figureLine(_ path: String) -> String { style.dim(localized("figure") + " → ") + path }

    /// "Figures written:" and the paths, one per line, indented.
    func figuresWritten(_ paths: [String]) -> String {
        localized("Figures written:") + "\n" + paths.map { "    " + $0 }.joined(separator: "\n")
    }

    /// A long formula, vector or token list that sits `indent` columns in (4 inside prose),
    /// wrapped at spaces to the screen with its continuation lines `continuation` columns in.
    func hanging(_ text: String, indent: Int = 4, continuation: Int = 8) -> String {
        wrapHanging(text, width: min(style.width, 100), indent: indent, continuation: continuation)
    }

    /// 63082496 → "63,082,496": big counts are read, not deciphered.
    func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (number < 0 ? "-" : "") + result
    }

    func matrix(_ tensor: Tensor, rows: [String], columns: [String], decimals: Int = 2,
                rowSums: Bool = false) -> String {
        MatrixPrinter(decimals: decimals, showRowSums: rowSums, style: style)
            .format(tensor.rows, rowLabels: rows, columnLabels: columns)
    }

    /// A coloured grid. `symmetric` centres the scale on zero (for signed scores); `range` fixes it.
    func heat(_ tensor: Tensor, rows: [String], columns: [String],
              colors: @escaping TerminalHeatmap.ColorFunction = TerminalColors.viridis,
              decimals: Int = 2, symmetric: Bool = false, range: ClosedRange<Float>? = nil,
              showValues: Bool = true) -> String {
        var scale = range
        if symmetric {
            let largest = tensor.scalars.filter(\.isFinite).map(abs).max() ?? 1
            scale = -largest...largest
        }
        return TerminalHeatmap(style: style, showValues: showValues, decimals: decimals, color: colors)
            .format(tensor.rows, rowLabels: rows, columnLabels: columns, range: scale)
    }
}
