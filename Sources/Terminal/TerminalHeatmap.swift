import Localization
/// A matrix drawn as coloured cells in a truecolour terminal, optionally with the numbers
/// printed inside. The colour of a value comes from `color`, a function of the value's
/// position in the range (0 = lowest, 1 = highest), so callers can pass the same colour map
/// their PNG figures use. Without colour it falls back to shade characters (░▒▓█), which
/// still show where the large values are.
public struct TerminalHeatmap: Sendable {
    /// Maps a position in the colour range (0 = lowest value, 1 = highest) to red, green and blue.
    public typealias ColorFunction = @Sendable (Double) -> (UInt8, UInt8, UInt8)

    /// Colour, glyphs and the screen width that decides where the columns are split into blocks.
    public var style: TerminalStyle
    /// Print each number inside its cell; when false the cells are narrow blocks of colour.
    public var showValues: Bool
    /// Digits after the decimal point of the printed numbers.
    public var decimals: Int
    /// Row labels longer than this many terminal columns are cut short.
    public var maxLabelWidth: Int
    /// The colour of each cell (see `ColorFunction`).
    public var color: ColorFunction

    /// A heatmap printer; the default colour map is `grayscale`.
    public init(style: TerminalStyle, showValues: Bool = true, decimals: Int = 2,
                maxLabelWidth: Int = 9, color: @escaping ColorFunction = TerminalHeatmap.grayscale) {
        self.style = style
        self.showValues = showValues
        self.decimals = decimals
        self.maxLabelWidth = maxLabelWidth
        self.color = color
    }

    /// Dark grey (30, 30, 30) for the lowest value to white for the highest.
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
        // A scale with both signs: without colour, shades show the size and the sign is printed.
        let signedScale: Float? = low < 0 && high > 0 ? max(abs(low), abs(high)) : nil
        // Columns in blocks that fit the screen, each block a complete grid.
        let columnCount = max(columnLabels.count, values.map(\.count).max() ?? 0)
        let perBlock = max(1, (style.width - labelWidth - 1) / cellWidth)
        for blockStart in stride(from: 0, to: max(columnCount, 1), by: perBlock) {
            let block = blockStart..<min(columnCount, blockStart + perBlock)
            if columnCount > perBlock {
                if blockStart > 0 { lines.append("") }
                lines.append(style.dim(columnBlockHeading(block, of: columnCount)))
            }
            var header = pad("", to: labelWidth) + " "
            for index in block {
                let label = index < columnLabels.count ? columnLabels[index] : String(index + 1)
                let text = numbered ? String(index + 1) : truncate(label, to: cellWidth - 1)
                header += pad(text, to: cellWidth - 1, alignRight: true) + " "
            }
            lines.append(style.bold(header))
            for (rowIndex, row) in values.enumerated() {
                var line = pad(rowIndex < rowNames.count ? rowNames[rowIndex] : "", to: labelWidth) + " "
                for index in block where index < row.count {
                    let value = row[index]
                    line += cell(value, width: cellWidth, position: value.isFinite ? position(value) : nil,
                                 signedScale: signedScale)
                }
                lines.append(line)
            }
        }
        lines.append(legend(low: low, high: high, labelWidth: labelWidth, signedScale: signedScale))
        if numbered {
            let key = columnLabels.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " · ")
            let indent = pad("", to: labelWidth) + " "
            for line in wrap(localized("columns: \(key)"), width: max(30, style.width - displayWidth(indent)))
                .split(separator: "\n") {
                lines.append(indent + style.dim(String(line)))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The shade characters without colour, from nothing to full.
    static let shades: [Character] = [" ", "░", "▒", "▓", "█"]

    /// The shade for a share t of the scale: 0 stays blank, anything above it gets at least
    /// the lightest shade, so a weight of 0.05 on a 0…1 scale is still visible.
    static func shade(_ t: Double) -> Character {
        guard t > 0 else { return shades[0] }
        return shades[max(1, min(shades.count - 1, Int((t * Double(shades.count - 1)).rounded(.up))))]
    }

    private func cell(_ value: Float, width: Int, position: Double?, signedScale: Float?) -> String {
        let number = formatNumber(value, decimals: decimals)
        let text = showValues ? pad(number, to: width - 1, alignRight: true) + " "
                              : String(repeating: " ", count: width)
        guard let position else {
            // Masked (−∞) cells: no colour, a visible marker.
            return style.dim(pad(showValues ? (style.ascii ? "-inf" : "-∞") : "·", to: width - 1, alignRight: true) + " ")
        }
        if style.useColor {
            let (r, g, b) = color(position)
            return style.onBackground(text, red: r, green: g, blue: b)
        }
        // Without colour: on a signed scale the shade is the size |value| / largest and the
        // sign is printed (in the number, or as + / − beside the shade); otherwise the shade is
        // the position on the scale.
        let shade: Character
        if let largest = signedScale {
            shade = Self.shade(Double(abs(value) / largest))
        } else {
            shade = Self.shade(position)
        }
        if showValues {
            return pad(number, to: width - 2, alignRight: true) + String(shade) + " "
        }
        if signedScale != nil {
            let sign = value < 0 ? "-" : value > 0 ? "+" : " "
            return String(repeating: String(shade), count: max(1, width - 2)) + sign + " "
        }
        return String(repeating: String(shade), count: width - 1) + " "
    }

    private func legend(low: Float, high: Float, labelWidth: Int, signedScale: Float?) -> String {
        let indent = pad("", to: labelWidth) + " "
        if !style.useColor {
            // Without colour each shade stands for a quarter of the scale: it is printed between
            // the two values it covers, so every bin gets its true share. Only the exact low end
            // is blank.
            func bins(from start: Float, to end: Float) -> String {
                let count = Self.shades.count - 1
                var text = formatNumber(start, decimals: decimals)
                for i in 1...count {
                    let bound = start + (end - start) * Float(i) / Float(count)
                    text += " " + String(Self.shades[i]) + " " + formatNumber(bound, decimals: decimals)
                }
                return text
            }
            // On a narrow screen something goes: on a signed scale the inner bounds before the
            // note that the sign is printed (the cells cannot be read without it); otherwise the
            // "blank" note before the inner bounds.
            func compact(from start: Float, to end: Float) -> String {
                formatNumber(start, decimals: decimals) + " " + String(Self.shades.dropFirst()) + " " + formatNumber(end, decimals: decimals)
            }
            let (title, start, end): (String, Float, Float) = signedScale.map { (localized("size |value|"), 0, $0) }
                ?? (localized("scale"), low, high)
            let after = signedScale == nil ? localized("blank = \(formatNumber(low, decimals: decimals))")
                                           : localized("(sign shown with each cell)")
            let full = bins(from: start, to: end), short = compact(from: start, to: end)
            let candidates = signedScale == nil ? [(full, after), (full, ""), (short, after), (short, "")]
                                                : [(full, after), (short, after), (full, ""), (short, "")]
            let fitting = candidates.first { bins, after in
                displayWidth(indent + title + " " + bins + (after.isEmpty ? "" : "  " + after)) <= style.width
            } ?? candidates[candidates.count - 1]
            return indent + style.dim(title + " ") + fitting.0 + (fitting.1.isEmpty ? "" : style.dim("  " + fitting.1))
        }
        // Twelve swatches of two columns, fewer when the screen is narrow.
        let steps = max(4, min(12, (style.width - labelWidth - 30) / 2))
        var bar = ""
        for step in 0..<steps {
            let (r, g, b) = color(Double(step) / Double(steps - 1))
            bar += style.onBackground("  ", red: r, green: g, blue: b)
        }
        return indent + style.dim(localized("scale") + " ")
            + formatNumber(low, decimals: decimals) + " " + bar + " " + formatNumber(high, decimals: decimals)
    }
}

extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
