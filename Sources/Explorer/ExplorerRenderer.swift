import Figures
import Terminal
import Transformer

/// Draws an `ExplorerState` into a `ScreenGrid` of any size from the minimum up:
///
///     row 0       title bar: model · kind · layer · head · view
///     row 1       the query tokens, the chosen one highlighted
///     rows 2…h−2  the view on the left, the chosen query's top keys on the right
///     row h−1     what was saved, or the keys
///
/// With colour, weights are cell backgrounds in viridis (the colour map of the PNG figures);
/// without, they are shade characters (` ░▒▓█`), so the view reads the same in both.
public struct ExplorerRenderer: Sendable {
    /// Whether to draw with 24-bit colour (viridis backgrounds) or with shade characters.
    public var color: Bool

    /// Smaller screens get a note asking for more room.
    public static let minimumWidth = 40
    /// The smallest height drawn; smaller screens get a note asking for more room.
    public static let minimumHeight = 10

    /// A renderer drawing in colour when `color` is true.
    public init(color: Bool) {
        self.color = color
    }

    /// The whole screen for `state` at `width` × `height` cells (a note asking for more room
    /// when it is smaller than `minimumWidth` × `minimumHeight`).
    public func render(_ state: ExplorerState, width: Int, height: Int) -> ScreenGrid {
        var grid = ScreenGrid(width: width, height: height)
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else {
            grid.put("tx explore needs at least \(Self.minimumWidth)×\(Self.minimumHeight)", row: 0, column: 0)
            grid.put("(now \(width)×\(height)); q quits", row: 1, column: 0)
            return grid
        }
        drawTitle(state, into: &grid)
        drawTokenStrip(state, into: &grid)
        let panelWidth = width >= 120 ? 36 : 26
        let mainWidth = width - panelWidth - 1
        let area = Area(x: 0, y: 2, width: mainWidth, height: height - 3)
        for row in area.y..<(area.y + area.height) {
            grid.put("│", row: row, column: mainWidth, style: .faint)
        }
        switch state.view {
        case .heatmap: drawHeatmap(state, in: area, into: &grid)
        case .lines: drawLines(state, in: area, into: &grid)
        case .model: drawModelView(state, in: area, into: &grid)
        }
        drawTopKeys(state, in: Area(x: mainWidth + 2, y: 2, width: panelWidth - 1, height: height - 3), into: &grid)
        drawFooter(state, into: &grid)
        switch state.overlay {
        case .none: break
        case .help: drawBox(title: "keys", lines: Self.helpLines(state), selected: nil, into: &grid)
        case .candidates:
            let lines = state.candidates.enumerated().map { rank, candidate in
                pad("\(rank + 1).", to: 4) + pad(candidate.label, to: 16) + " "
                    + pad(formatPercent(candidate.probability), to: 6, alignRight: true)
            }
            drawBox(title: "next token after the text · ↑↓ choose · Enter append · Esc close",
                    lines: lines, selected: state.candidateIndex, into: &grid)
        }
        return grid
    }

    // MARK: The shading of a weight

    /// Without colour: one of five shades, from blank (below 0.05) to full (0.7 and above).
    public static func shade(_ weight: Float) -> String {
        switch weight {
        case ..<0.05: " "
        case ..<0.2: "░"
        case ..<0.4: "▒"
        case ..<0.7: "▓"
        default: "█"
        }
    }

    /// What a masked cell shows: never a shade, since masked is not "weight 0".
    public static let maskedCell = "·"

    func weightCell(_ weight: Float, width: Int) -> (String, CellStyle) {
        if color {
            let (r, g, b) = ColorMap.viridis.color(at: Double(weight)).bytes
            // Wide cells also print the weight (".76"), in black or white for contrast.
            guard width >= 5 else { return (String(repeating: " ", count: width), CellStyle(background: CellColor(r, g, b))) }
            let light = 0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b) > 140
            let number = String(formatWeight(weight).drop { $0 == "0" })
            return (pad(" " + number, to: width),
                    CellStyle(foreground: light ? CellColor(0, 0, 0) : CellColor(255, 255, 255), background: CellColor(r, g, b)))
        }
        return (String(repeating: Self.shade(weight), count: width), .plain)
    }

    // MARK: Title, tokens, footer

    private func drawTitle(_ state: ExplorerState, into grid: inout ScreenGrid) {
        let title = " \(state.modelName) · \(Self.shortName(state.kind)) · "
            + "\(state.positionText) · \(state.view.title)"
        let bar = CellStyle(bold: true, reverse: true)
        grid.fill(row: 0, from: 0, to: grid.width, style: bar)
        let help = " ? keys "
        grid.put(title, row: 0, column: 0, style: bar, limit: grid.width - displayWidth(help))
        grid.put(help, row: 0, column: grid.width - displayWidth(help), style: bar)
    }

    static func shortName(_ kind: AttentionKind) -> String {
        switch kind {
        case .encoderSelf: "encoder self"
        case .decoderSelf: "causal self"
        case .cross: "cross"
        }
    }

    /// The query tokens in one line, scrolled so the chosen one is visible.
    private func drawTokenStrip(_ state: ExplorerState, into grid: inout ScreenGrid) {
        let tokens = state.queryTokens
        let prefix = "query \(state.query + 1)/\(tokens.count): "
        var x = grid.put(prefix, row: 1, column: 0, style: .faint)
        let widths = tokens.map { displayWidth($0) + 1 }
        // Start early enough that the chosen token and a little after it fit.
        var start = state.query
        var used = widths[state.query]
        while start > 0, used + widths[start - 1] <= (grid.width - x) * 2 / 3 {
            start -= 1
            used += widths[start]
        }
        if start > 0 { x = grid.put("… ", row: 1, column: x, style: .faint) }
        for index in start..<tokens.count {
            guard x < grid.width else { break }
            let style: CellStyle = index == state.query ? CellStyle(bold: true, reverse: true) : .plain
            x = grid.put(tokens[index], row: 1, column: x, style: style)
            x = grid.put(" ", row: 1, column: x)
        }
    }

    private func drawFooter(_ state: ExplorerState, into grid: inout ScreenGrid) {
        let row = grid.height - 1
        if !state.status.isEmpty {
            grid.put(truncate(state.status, to: grid.width), row: row, column: 0, style: .strong)
            return
        }
        var keys = ["←→ query", "↑↓ layer", "[ ] head", "a mean"]
        if state.kinds.count > 1 { keys.append("Tab kind") }
        keys += ["v view", "s png", "j json"]
        if state.canPredict { keys.append("n next") }
        keys.append("q quit")   // "? keys" is in the title bar
        let spaced = keys.joined(separator: "  ")
        let line = displayWidth(spaced) <= grid.width ? spaced : keys.joined(separator: " ")
        grid.put(truncate(line, to: grid.width), row: row, column: 0, style: .faint)
    }

    static func helpLines(_ state: ExplorerState) -> [String] {
        var lines = [
            "←/→ or h/l  the query token",
            "↑/↓         the layer",
            "[ / ]       the head",
            "a           mean of the layer's heads",
        ]
        if state.kinds.count > 1 {
            lines.append("Tab         kind: " + state.kinds.map(ExplorerState.describe).joined(separator: ", "))
        }
        lines += [
            "v           view: heatmap, lines, model",
            "s           save this view as PNG",
            "j           save the whole trace as JSON",
        ]
        if state.canPredict {
            lines += ["n           next-token candidates", "Enter       append the chosen one, run again"]
        }
        lines += ["q, Ctrl-C    quit", "", "heatmap rows: queries · columns: keys",
                  "· masked (never visible to the query)"]
        return lines
    }

    // MARK: Heatmap

    private func drawHeatmap(_ state: ExplorerState, in area: Area, into grid: inout ScreenGrid) {
        let weights = state.currentWeights
        let queries = state.queryTokens, keys = state.keyTokens
        let labelWidth = min(12, queries.map { displayWidth($0) }.max() ?? 1) + 3   // "▶ " + label + gap
        // Two to four columns per key (five with colour, to print the weight), as the room allows.
        let cellWidth = max(2, min(color ? 5 : 4, (area.width - labelWidth) / keys.count))
        let keyWindow = window(count: keys.count, capacity: max(1, (area.width - labelWidth) / cellWidth),
                               focus: focusKey(state))
        let queryWindow = window(count: queries.count, capacity: area.height - 1, focus: state.query)
        let header = keyWindow.count < keys.count
            ? "\(keyWindow.lowerBound + 1)–\(keyWindow.upperBound)/\(keys.count)" : "key→"
        grid.put(truncate(header, to: labelWidth - 1), row: area.y, column: area.x, style: .faint)
        let strongest = state.topKeys(1).first?.key
        for (column, key) in keyWindow.enumerated() {
            // The first columns of each key's text (a byte-level token without its leading space).
            let x = area.x + labelWidth + cellWidth * column
            let label = keys[key].count > 1 ? String(keys[key].drop { $0 == "␣" || $0 == " " }) : keys[key]
            grid.put(label.isEmpty ? keys[key] : label, row: area.y, column: x,
                     style: key == strongest ? .strong : .faint, limit: x + cellWidth - (cellWidth > 2 ? 1 : 0))
        }
        for (line, query) in queryWindow.enumerated() {
            let y = area.y + 1 + line
            let chosen = query == state.query
            grid.put((chosen ? "▶ " : "  ") + truncate(queries[query], to: labelWidth - 2), row: y, column: area.x,
                     style: chosen ? .strong : .plain, limit: area.x + labelWidth)
            for (column, key) in keyWindow.enumerated() {
                let x = area.x + labelWidth + cellWidth * column
                if state.isMasked(query: query, key: key) {
                    grid.put(String(repeating: Self.maskedCell, count: cellWidth), row: y, column: x, style: .faint)
                } else {
                    let (text, style) = weightCell(weights[query][key], width: cellWidth)
                    grid.put(text, row: y, column: x, style: style)
                }
            }
        }
    }

    /// Which key to keep in view when not all fit: the query's own position in self-attention,
    /// its strongest key in cross-attention.
    private func focusKey(_ state: ExplorerState) -> Int {
        state.kind == .cross ? (state.topKeys(1).first?.key ?? 0) : min(state.query, state.keyTokens.count - 1)
    }

    // MARK: Lines (head view)

    /// Lines from the chosen query (left) to every key (right), drawn as a fan: one trunk, one
    /// branch per key whose stroke says how much weight it gets.
    public static func lineGlyph(_ weight: Float) -> (String, CellStyle)? {
        switch weight {
        case 0.4...: ("━", .strong)
        case 0.15...: ("─", .plain)
        case 0.05...: ("╌", .plain)
        case 0.01...: ("┈", .faint)
        default: nil
        }
    }

    private func drawLines(_ state: ExplorerState, in area: Area, into grid: inout ScreenGrid) {
        let weights = state.currentWeights
        let queries = state.queryTokens, keys = state.keyTokens
        let leftWidth = min(12, queries.map { displayWidth($0) }.max() ?? 1) + 3
        let rightWidth = min(12, keys.map { displayWidth($0) }.max() ?? 1)
        let weightWidth = 7
        let gap = area.width - leftWidth - rightWidth - weightWidth - 1
        guard gap >= 4 else { return }
        grid.put(truncate("━ ≥0.4  ─ ≥0.15  ╌ ≥0.05  ┈ ≥0.01", to: area.width), row: area.y, column: area.x, style: .faint)
        let rows = area.height - 1
        let sameTokens = state.kind != .cross
        let queryWindow = window(count: queries.count, capacity: rows, focus: state.query)
        let keyWindow = sameTokens ? queryWindow : window(count: keys.count, capacity: rows, focus: focusKey(state))
        let queryRow = area.y + 1 + (state.query - queryWindow.lowerBound)
        for (line, query) in queryWindow.enumerated() {
            let chosen = query == state.query
            grid.put((chosen ? "▶ " : "  ") + truncate(queries[query], to: leftWidth - 2), row: area.y + 1 + line,
                     column: area.x, style: chosen ? .strong : .faint, limit: area.x + leftWidth)
        }
        let trunk = area.x + leftWidth + gap / 3
        let branchEnd = area.x + leftWidth + gap - 1     // exclusive of the space before the key label
        var branchRows: [Int] = []
        for (line, key) in keyWindow.enumerated() {
            let y = area.y + 1 + line
            let labelX = area.x + leftWidth + gap
            let masked = state.isMasked(query: state.query, key: key)
            let weight = weights[state.query][key]
            grid.put(truncate(keys[key], to: rightWidth), row: y, column: labelX, style: masked ? .faint : .plain,
                     limit: labelX + rightWidth)
            let number = masked ? "masked" : formatWeight(weight)
            if masked || !color {
                grid.put(pad(number, to: weightWidth - 1, alignRight: true), row: y, column: labelX + rightWidth + 1,
                         style: masked ? .faint : .plain)
            } else {
                let (r, g, b) = ColorMap.viridis.color(at: Double(weight)).bytes
                let light = 0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b) > 140
                grid.put(" " + number, row: y, column: labelX + rightWidth + 1,
                         style: CellStyle(foreground: light ? CellColor(0, 0, 0) : CellColor(255, 255, 255),
                                          background: CellColor(r, g, b)))
            }
            guard !masked, let (glyph, style) = Self.lineGlyph(weight) else { continue }
            branchRows.append(y)
            grid.fill(row: y, from: trunk + 1, to: branchEnd, character: glyph, style: style)
        }
        // The stroke from the query to the trunk, then the trunk with its junctions.
        grid.fill(row: queryRow, from: area.x + leftWidth, to: trunk, character: "━", style: .strong)
        let top = min(queryRow, branchRows.min() ?? queryRow), bottom = max(queryRow, branchRows.max() ?? queryRow)
        for y in top...bottom {
            let junction = Self.junction(up: y > top, down: y < bottom, left: y == queryRow,
                                         right: branchRows.contains(y))
            grid.put(junction, row: y, column: trunk, style: .strong)
        }
    }

    /// The box-drawing character where lines meet from the given sides.
    static func junction(up: Bool, down: Bool, left: Bool, right: Bool) -> String {
        switch (up, down, left, right) {
        case (true, true, true, true): "┼"
        case (true, true, true, false): "┤"
        case (true, true, false, true): "├"
        case (true, true, false, false): "│"
        case (false, true, true, true): "┬"
        case (false, true, true, false): "┐"
        case (false, true, false, true): "┌"
        case (true, false, true, true): "┴"
        case (true, false, true, false): "┘"
        case (true, false, false, true): "└"
        case (false, false, _, _): "─"
        case (true, false, false, false), (false, true, false, false): "│"
        }
    }

    // MARK: Model view

    /// Every layer × head as a thumbnail of its weight matrix. Each character shows the largest
    /// visible weight of its block of queries × keys, so a sharp pattern survives the shrinking.
    private func drawModelView(_ state: ExplorerState, in area: Area, into grid: inout ScreenGrid) {
        let layers = state.layerCount, heads = state.headCount
        let labelWidth = 4
        let available = area.width - labelWidth
        var thumbWidth = min(16, available / heads - 1)
        var headWindow = 0..<heads
        if thumbWidth < 2 {
            thumbWidth = 2
            headWindow = window(count: heads, capacity: max(1, available / 3), focus: state.head)
        }
        // A character is about twice as tall as wide: half as many rows as columns looks square.
        let thumbHeight = max(1, min(8, (thumbWidth + 1) / 2))
        let stride = thumbHeight + 1   // a blank row between layers
        let layerWindow = window(count: layers, capacity: max(1, (area.height - 1) / stride), focus: state.layer)
        grid.put("L\\H", row: area.y, column: area.x, style: .faint)
        for (column, head) in headWindow.enumerated() {
            let x = area.x + labelWidth + column * (thumbWidth + 1)
            let chosen = head == state.head && !state.averageHeads
            grid.put(String(head + 1), row: area.y, column: x, style: chosen ? .strong : .faint, limit: x + thumbWidth)
        }
        let queries = state.queryTokens.count, keys = state.keyTokens.count
        for (line, layer) in layerWindow.enumerated() {
            let y0 = area.y + 1 + line * stride
            grid.put(String(layer + 1), row: y0, column: area.x,
                     style: layer == state.layer ? .strong : .faint, limit: area.x + labelWidth - 1)
            for (column, head) in headWindow.enumerated() {
                let x0 = area.x + labelWidth + column * (thumbWidth + 1)
                let weights = state.weights(layer: layer, head: head)
                for r in 0..<thumbHeight {
                    let rows = block(r, of: thumbHeight, count: queries)
                    for c in 0..<thumbWidth {
                        let columns = block(c, of: thumbWidth, count: keys)
                        var strongest: Float? = nil
                        for q in rows {
                            for k in columns where !state.isMasked(query: q, key: k) {
                                strongest = max(strongest ?? 0, weights[q][k])
                            }
                        }
                        if let strongest {
                            let (text, style) = weightCell(strongest, width: 1)
                            grid.put(text, row: y0 + r, column: x0 + c, style: style)
                        } else {
                            grid.put(Self.maskedCell, row: y0 + r, column: x0 + c, style: .faint)
                        }
                    }
                }
            }
            // The cursor: brackets around the chosen head, or around the whole layer for the mean.
            guard layer == state.layer else { continue }
            let columnX = { (column: Int) in area.x + labelWidth + column * (thumbWidth + 1) }
            let chosen: ClosedRange<Int>
            if state.averageHeads {
                chosen = 0...(headWindow.count - 1)
            } else if let column = headWindow.firstIndex(of: state.head) {
                chosen = (column - headWindow.lowerBound)...(column - headWindow.lowerBound)
            } else { continue }
            for r in 0..<thumbHeight {
                grid.put("[", row: y0 + r, column: columnX(chosen.lowerBound) - 1, style: .strong)
                grid.put("]", row: y0 + r, column: columnX(chosen.upperBound) + thumbWidth, style: .strong,
                         limit: area.x + area.width)
            }
        }
    }

    /// The indices of part `part` of `parts` equal parts of `count` items (at least one item).
    private func block(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        let start = part * count / parts
        let end = max(start + 1, (part + 1) * count / parts)
        return min(start, count - 1)..<min(end, count)
    }

    // MARK: Top keys

    private func drawTopKeys(_ state: ExplorerState, in area: Area, into grid: inout ScreenGrid) {
        var y = area.y
        let queryLabel = state.queryTokens[state.query]
        grid.put("query " + truncate(queryLabel, to: area.width - 6), row: y, column: area.x, style: .strong,
                 limit: area.x + area.width)
        y += 1
        grid.put(state.averageHeads ? "mean of the heads" : "layer \(state.layer + 1), head \(state.head + 1)",
                 row: y, column: area.x, style: .faint, limit: area.x + area.width)
        y += 1
        grid.put("looks most at", row: y, column: area.x, style: .faint, limit: area.x + area.width)
        y += 1
        let masked = state.keyTokens.indices.filter { state.isMasked(query: state.query, key: $0) }
        let room = area.y + area.height - y
        let topCount = min(10, masked.isEmpty ? room : max(1, room - 2))
        let labelWidth = min(12, area.width - 12)
        let barWidth = max(1, area.width - labelWidth - 6)
        for (key, weight) in state.topKeys(topCount) {
            var x = grid.put(pad(truncate(state.keyTokens[key], to: labelWidth), to: labelWidth), row: y,
                             column: area.x, limit: area.x + area.width)
            x = grid.put(" " + formatWeight(weight) + " ", row: y, column: x, limit: area.x + area.width)
            grid.put(bar(weight, width: barWidth), row: y, column: x, limit: area.x + area.width)
            y += 1
        }
        guard !masked.isEmpty, y < area.y + area.height else { return }
        // Masked keys are not zeros: they were never visible to this query.
        grid.put("masked (later tokens): \(masked.count)", row: y, column: area.x, style: .faint,
                 limit: area.x + area.width)
        y += 1
        if y < area.y + area.height {
            grid.put(truncate(masked.map { state.keyTokens[$0] }.joined(separator: " "), to: area.width),
                     row: y, column: area.x, style: .faint, limit: area.x + area.width)
        }
    }

    /// A bar of `weight × width` columns in eighths of a block.
    func bar(_ weight: Float, width: Int) -> String {
        let eighths = Int((max(0, min(1, weight)) * Float(width * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
    }

    // MARK: Overlays

    private func drawBox(title: String, lines: [String], selected: Int?, into grid: inout ScreenGrid) {
        let inner = min(grid.width - 4, max(displayWidth(title) + 2, lines.map { displayWidth($0) }.max() ?? 0) + 2)
        let height = min(grid.height - 2, lines.count + 2)
        let x = (grid.width - inner - 2) / 2, y = max(1, (grid.height - height) / 2)
        let frame = CellStyle.strong
        grid.put("┌" + String(repeating: "─", count: inner) + "┐", row: y, column: x, style: frame)
        grid.put(" " + truncate(title, to: inner - 2) + " ", row: y, column: x + 2, style: frame)
        for (line, text) in lines.prefix(height - 2).enumerated() {
            let row = y + 1 + line
            grid.put("│", row: row, column: x, style: frame)
            let style: CellStyle = line == selected ? .inverse : .plain
            grid.fill(row: row, from: x + 1, to: x + 1 + inner, style: style)
            grid.put(" " + truncate(text, to: inner - 2), row: row, column: x + 1, style: style, limit: x + 1 + inner)
            grid.put("│", row: row, column: x + inner + 1, style: frame)
        }
        grid.put("└" + String(repeating: "─", count: inner) + "┘", row: y + height - 1, column: x, style: frame)
    }

    // MARK: Helpers

    struct Area {
        var x: Int, y: Int, width: Int, height: Int
    }

    /// `capacity` consecutive indices out of `count`, placed so `focus` sits near the middle.
    func window(count: Int, capacity: Int, focus: Int) -> Range<Int> {
        guard count > capacity else { return 0..<count }
        let start = min(max(0, focus - capacity / 2), count - capacity)
        return start..<(start + capacity)
    }
}

/// "0.41": two decimals, the precision the figures print.
public func formatWeight(_ weight: Float) -> String {
    let hundredths = Int((weight * 100).rounded())
    return "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
}

/// "42.1%".
func formatPercent(_ probability: Float) -> String {
    let tenths = Int((probability * 1000).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
}
