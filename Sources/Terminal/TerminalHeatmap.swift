/// A matrix drawn as coloured cells in a truecolour terminal, optionally with the numbers
/// printed inside. The colour of a value comes from `color`, a function of the value's
/// position in the range (0 = lowest, 1 = highest), so callers can pass the same colour map
/// their PNG figures use. Without colour it falls back to shade characters (░▒▓█), which
/// still show where the large values are.
public struct TerminalHeatmap: Sendable {
    public typealias ColorFunction = @Sendable (Double) -> (UInt8, UInt8, UInt8)

    public var style: TerminalStyle
    public var showValues: Bool
    public var decimals: Int
    public var maxLabelWidth: Int
    public var color: ColorFunction

    public init(style: TerminalStyle, showValues: Bool = true, decimals: Int = 2,
                maxLabelWidth: Int = 9, color: @escaping ColorFunction = TerminalHeatmap.grayscale) {
        self.style = style
        self.showValues = showValues
        self.decimals = decimals
        self.maxLabelWidth = maxLabelWidth
        self.color = color
    }

    public static let grayscale: ColorFunction = { t in
        let level = UInt8(max(0, min(255, (30 + 225 * t).rounded())))
        return (level, level, level)
    }

    /// `range` fixes the colour scale; nil uses the finite values' minimum and maximum.
    public func format(_ values: [[Float]], rowLabels: [String], columnLabels: [String],
                       range: ClosedRange<Float>? = nil) -> String {
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let low = range?.lowerBound ?? finite.min() ?? 0
        let high = range?.upperBound ?? finite.max() ?? 1
        let span = high > low ? high - low : 1
        // The widest number this matrix can print decides the cell width.
        let widest = max(abs(low), abs(high))
        let sample = formatNumber(low < 0 ? -widest : widest, decimals: decimals)
        let cellWidth = showValues ? max(displayWidth(sample) + 2, 4) : 3   // number, a space each side
        let rowNames = rowLabels.map { truncate($0, to: maxLabelWidth) }
        let labelWidth = rowNames.map(displayWidth).max() ?? 0

        func position(_ value: Float) -> Double { Double((value - low) / span).clamped(to: 0...1) }

        var lines: [String] = []
        // Column labels that fit go on top; when one would be cut beyond recognition, the
        // columns are numbered and a key line below says which number is which token.
        let numbered = columnLabels.contains { displayWidth($0) > max(cellWidth - 1, 4) }
        var header = pad("", to: labelWidth) + " "
        for (index, label) in columnLabels.enumerated() {
            let text = numbered ? String(index + 1) : truncate(label, to: cellWidth - 1)
            header += pad(text, to: cellWidth - 1, alignRight: true) + " "
        }
        lines.append(style.bold(header))
        for (rowIndex, row) in values.enumerated() {
            var line = pad(rowIndex < rowNames.count ? rowNames[rowIndex] : "", to: labelWidth) + " "
            for value in row {
                line += cell(value, width: cellWidth, position: value.isFinite ? position(value) : nil)
            }
            lines.append(line)
        }
        lines.append(legend(low: low, high: high, labelWidth: labelWidth))
        if numbered {
            let key = columnLabels.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " · ")
            let indent = pad("", to: labelWidth) + " "
            for line in wrap("columns: " + key, width: max(30, style.width - displayWidth(indent)))
                .split(separator: "\n") {
                lines.append(indent + style.dim(String(line)))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func cell(_ value: Float, width: Int, position: Double?) -> String {
        let text = showValues ? pad(formatNumber(value, decimals: decimals), to: width - 1, alignRight: true) + " "
                              : String(repeating: " ", count: width)
        guard let position else {
            // Masked (−∞) cells: no colour, a visible marker.
            return style.dim(pad(showValues ? "-∞" : "·", to: width - 1, alignRight: true) + " ")
        }
        if style.useColor {
            let (r, g, b) = color(position)
            return style.onBackground(text, red: r, green: g, blue: b)
        }
        let shades: [Character] = [" ", "░", "▒", "▓", "█"]
        let shade = shades[min(shades.count - 1, Int(position * Double(shades.count - 1) + 0.5))]
        if showValues {
            return pad(formatNumber(value, decimals: decimals), to: width - 2, alignRight: true) + String(shade) + " "
        }
        return String(repeating: String(shade), count: width - 1) + " "
    }

    private func legend(low: Float, high: Float, labelWidth: Int) -> String {
        let steps = 12
        var bar = ""
        for step in 0..<steps {
            let t = Double(step) / Double(steps - 1)
            if style.useColor {
                let (r, g, b) = color(t)
                bar += style.onBackground("  ", red: r, green: g, blue: b)
            } else {
                let shades: [Character] = [" ", "░", "▒", "▓", "█"]
                bar += String(repeating: String(shades[Int(t * 4 + 0.5)]), count: 2)
            }
        }
        return pad("", to: labelWidth) + " " + style.dim("scale ")
            + formatNumber(low, decimals: decimals) + " " + bar + " " + formatNumber(high, decimals: decimals)
    }
}

extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
