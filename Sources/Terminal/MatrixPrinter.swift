import Localization

/// The heading of one block of a matrix printed in column blocks: "columns 1–10 of 11", and
/// "column 11 of 11" for a block of one.
func columnBlockHeading(_ block: Range<Int>, of columnCount: Int) -> String {
    block.count == 1 ? localized("column \(block.upperBound) of \(columnCount)")
                     : localized("columns \(block.lowerBound + 1)–\(block.upperBound) of \(columnCount)")
}

/// Formats a number with a fixed count of decimals, without Foundation, the same on
/// every platform. Infinities print as "∞"/"-∞" (masked attention scores), NaN as "NaN".
public func formatNumber(_ value: Float, decimals: Int = 2) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-∞" : "∞" }
    let decimals = max(0, min(decimals, 9))
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (Double(value) * scale).rounded()
    guard abs(scaled) < 9e17 else { return value < 0 ? "-big" : "big" }
    let magnitude = Int64(abs(scaled))
    let whole = magnitude / Int64(scale)
    var text = String(whole)
    if decimals > 0 {
        let fraction = String(magnitude % Int64(scale))
        text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return scaled < 0 ? "-" + text : text
}

/// A matrix printed with aligned columns: row labels on the left, column labels on top,
/// numbers right-aligned. When the matrix is wider than the screen it is printed in
/// blocks of columns, each block a complete table (as numpy and R do), so alignment never
/// breaks by wrapping.
public struct MatrixPrinter: Sendable {
    /// Digits after the decimal point in each cell.
    public var decimals: Int
    /// Row and column labels longer than this many terminal columns are cut short.
    public var maxLabelWidth: Int
    /// Adds a "Σ row" column: the sum of each row (shows that softmax rows sum to 1).
    public var showRowSums: Bool
    /// Colour, glyphs and the screen width that decides where the columns are split into blocks.
    public var style: TerminalStyle

    /// A printer with the given number format and style (plain by default).
    public init(decimals: Int = 2, maxLabelWidth: Int = 9, showRowSums: Bool = false,
                style: TerminalStyle = .plain) {
        self.decimals = decimals
        self.maxLabelWidth = maxLabelWidth
        self.showRowSums = showRowSums
        self.style = style
    }

    /// A number as a cell: "-∞" for a masked score, "-inf" with the ASCII fallback (∞ is
    /// ambiguous-width, and the cell widths are measured before printing).
    func cellText(_ value: Float) -> String {
        let text = formatNumber(value, decimals: decimals)
        return style.ascii ? String(text.flatMap { $0 == "∞" ? Array("inf") : [$0] }) : text
    }

    /// The table as lines of text (no trailing newline). Missing labels are the 0-based row or
    /// column index; a short row leaves its last cells empty; a masked score (−infinity) prints as
    /// "-∞" ("-inf" when `style.ascii`).
    public func format(_ values: [[Float]], rowLabels: [String]? = nil,
                       columnLabels: [String]? = nil) -> String {
        let rowCount = values.count
        let columnCount = values.map(\.count).max() ?? 0
        let rowNames = (0..<rowCount).map { index in
            truncate(rowLabels.flatMap { index < $0.count ? $0[index] : nil } ?? String(index), to: maxLabelWidth)
        }
        let columnNames = (0..<columnCount).map { index in
            truncate(columnLabels.flatMap { index < $0.count ? $0[index] : nil } ?? String(index), to: maxLabelWidth)
        }
        let cells = values.map { row in
            (0..<columnCount).map { $0 < row.count ? cellText(row[$0]) : "" }
        }
        let columnWidths = (0..<columnCount).map { column in
            max(displayWidth(columnNames[column]), cells.map { displayWidth($0[column]) }.max() ?? 0)
        }
        let labelWidth = rowNames.map(displayWidth).max() ?? 0
        let sums = values.map { formatNumber($0.filter(\.isFinite).reduce(0, +), decimals: decimals) }
        let sumTitle = localized("Σ row")
        let sumWidth = max(displayWidth(sumTitle), sums.map(displayWidth).max() ?? 0)

        // Split the columns into blocks that fit the screen.
        var blocks: [Range<Int>] = []
        var start = 0
        while start < columnCount || (columnCount == 0 && blocks.isEmpty) {
            var used = labelWidth + 1
            var end = start
            while end < columnCount {
                let needed = columnWidths[end] + 2
                if end > start && used + needed > style.width { break }
                used += needed
                end += 1
            }
            blocks.append(start..<end)
            if end == start { break }
            start = end
        }

        var lines: [String] = []
        for (blockIndex, block) in blocks.enumerated() {
            let isLast = blockIndex == blocks.count - 1
            if blocks.count > 1 {
                lines.append(style.dim(columnBlockHeading(block, of: columnCount)))
            }
            var header = pad("", to: labelWidth) + " "
            for column in block { header += "  " + pad(columnNames[column], to: columnWidths[column], alignRight: true) }
            if showRowSums && isLast { header += "  │ " + pad(sumTitle, to: sumWidth, alignRight: true) }
            lines.append(style.bold(header))
            for row in 0..<rowCount {
                var line = pad(rowNames[row], to: labelWidth) + " "
                for column in block { line += "  " + pad(cells[row][column], to: columnWidths[column], alignRight: true) }
                if showRowSums && isLast { line += "  │ " + pad(sums[row], to: sumWidth, alignRight: true) }
                lines.append(line)
            }
            if !isLast { lines.append("") }
        }
        return lines.joined(separator: "\n")
    }
}
