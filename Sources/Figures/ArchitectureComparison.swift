import Foundation
import Localization

/// One input through several architectures, side by side: each column has a heading (e.g.
/// "Encoder-only (BERT)"), a one- or two-line caption, its block diagram, its mask pattern(s) and its
/// attention maps. The rows line up across the columns (headings, then diagrams, then masks, then maps,
/// each row named in the left margin), so the reader compares across. The maps share one colour scale
/// and one colour bar; masks and maps of a column use the same cell size, so a map sits under its mask.
public struct ArchitectureComparison: Chart, Sendable {
    /// A small attention map: rows are queries, columns keys.
    public struct Map: Sendable {
        /// The heading over the map.
        public var title: String
        /// The weights, [query][key].
        public var values: [[Float]]
        /// One label per query (row).
        public var rowLabels: [String]
        /// One label per key (column).
        public var columnLabels: [String]
        /// [query][key]: true where the mask hid the key (drawn hatched, "masked" in the legend).
        public var hidden: [[Bool]]?

        /// A map of `values` with these labels; `hidden` marks masked cells.
        public init(title: String, values: [[Float]], rowLabels: [String], columnLabels: [String],
                    hidden: [[Bool]]? = nil) {
            self.title = title
            self.values = values
            self.rowLabels = rowLabels
            self.columnLabels = columnLabels
            self.hidden = hidden
        }
    }

    /// A mask pattern: true where the query (row) may see the key (column).
    public struct MaskPanel: Sendable {
        /// The heading over the panel.
        public var title: String
        /// [query][key]: true where the query may see the key.
        public var mask: [[Bool]]
        /// One label per query (row).
        public var rowLabels: [String]
        /// One label per key (column).
        public var columnLabels: [String]
        /// The fill of the visible cells (hidden cells are grey and hatched).
        public var visibleColor: RGB

        /// A mask panel; visible cells are blue (#2166AC) by default.
        public init(title: String, mask: [[Bool]], rowLabels: [String], columnLabels: [String],
                    visibleColor: RGB = RGB(hex: 0x2166AC)) {
            self.title = title
            self.mask = mask
            self.rowLabels = rowLabels
            self.columnLabels = columnLabels
            self.visibleColor = visibleColor
        }
    }

    /// One architecture: its heading, caption, block diagram, mask panels and attention maps, top
    /// to bottom.
    public struct Column: Sendable {
        /// The column's heading, e.g. "Encoder-only (BERT)".
        public var title: String
        /// One or two lines under the heading.
        public var caption: String
        /// The architecture's block diagram.
        public var diagram: BlockDiagram
        /// The mask patterns, top to bottom.
        public var masks: [MaskPanel]
        /// The attention maps, top to bottom.
        public var maps: [Map]

        /// A column whose masks are given as (title, mask, labels) tuples, drawn in the default
        /// visible colour.
        public init(title: String, caption: String, diagram: BlockDiagram,
                    masks: [(title: String, mask: [[Bool]], rowLabels: [String], columnLabels: [String])], maps: [Map]) {
            self.init(title: title, caption: caption, diagram: diagram,
                      maskPanels: masks.map { MaskPanel(title: $0.title, mask: $0.mask, rowLabels: $0.rowLabels,
                                                        columnLabels: $0.columnLabels) },
                      maps: maps)
        }

        /// The same with mask panels, which can each have their own visible colour.
        public init(title: String, caption: String, diagram: BlockDiagram, maskPanels: [MaskPanel], maps: [Map]) {
            self.title = title
            self.caption = caption
            self.diagram = diagram
            self.masks = maskPanels
            self.maps = maps
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The architectures, left to right.
    public var columns: [Column]
    /// The colour scale all maps share.
    public var colorMap: ColorMap
    /// The values at the two ends of the colour scale (attention weights: 0...1).
    public var valueRange: ClosedRange<Float>
    /// Cell side of the masks and maps; nil picks one from the largest matrix.
    public var cellSize: Double?
    /// The caption of the colour bar ("weight" by default, localised).
    public var colorBarLabel: String
    /// False leaves the block diagrams out: a figure of the masks or of the maps alone (each row of
    /// the comparison on a slide of its own, wide and short enough for 16:9).
    public var showsDiagrams = true

    /// A comparison of `columns`; the maps use `colorMap` over `valueRange`.
    public init(title: String, subtitle: String = "", columns: [Column], colorMap: ColorMap = .viridis,
                valueRange: ClosedRange<Float> = 0...1, cellSize: Double? = nil, colorBarLabel: String = localized("weight")) {
        self.title = title
        self.subtitle = subtitle
        self.columns = columns
        self.colorMap = colorMap
        self.valueRange = valueRange
        self.cellSize = cellSize
        self.colorBarLabel = colorBarLabel
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !columns.isEmpty else { throw FigureError.invalidData("architecture comparison has no columns") }
        for (i, column) in columns.enumerated() {
            try column.diagram.validate()
            for mask in column.masks {
                try validateMatrix(mask.mask, rowLabels: mask.rowLabels, columnLabels: mask.columnLabels,
                                   what: "column \(i + 1) mask \"\(mask.title)\"")
            }
            for map in column.maps {
                try validateMatrix(map.values, rowLabels: map.rowLabels, columnLabels: map.columnLabels,
                                   what: "column \(i + 1) map \"\(map.title)\"")
                try validateHidden(map.hidden, rows: map.values.count, columns: map.values.first?.count ?? 0,
                                   what: "column \(i + 1) map \"\(map.title)\"")
            }
        }
        if let cellSize, !(cellSize.isFinite && cellSize >= 4) {
            throw FigureError.invalidData("cellSize \(cellSize) must be at least 4")
        }
        try validateRange(valueRange)
    }

    /// The colour a map value gets.
    public func color(for value: Float) -> RGB { mappedColor(value, colorMap, valueRange) }

    static var rowNames: [String] { [localized("architecture"), localized("masks: who may see whom"), localized("attention weights")] }

    // MARK: Layout

    private enum Geometry {
        static let headingSize = 16.0
        static let captionSize = FigureStyle.labelSize
        static let minColumnWidth = 240.0
        static let maxCaptionWidth = 560.0
        /// Narrow: with the query and key titles on every block the poster only just fits 1,640 wide.
        static let columnGap = 16.0
        static let itemGap = 24.0
        static let rowGap = 28.0
        static let headerGap = 16.0
        static let gutterGap = 14.0
        static let rightGap = 28.0
        static let swatch = 14.0
        /// The legends sit under the last column's masks and maps (not in a column of their own,
        /// which made the poster too wide for a slide): gap above them, colour bar size.
        static let legendGap = 18.0
        static let barLength = 200.0
        static let barThickness = 12.0
        static let tickLength = 4.0
        /// Labels of the small matrices: never below the tick size, so the poster's smallest text
        /// stays readable on a 1920-pixel slide.
        static let minLabelSize = FigureStyle.tickSize
    }

    struct ColumnLayout {
        var area: Rect          // the column's horizontal extent (full height)
        var headingTexts: [TextItem]
        var diagramRect: Rect
        var maskBlocks: [(block: MatrixBlock, origin: Point)]
        var mapBlocks: [(block: MatrixBlock, origin: Point)]
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        var columns: [ColumnLayout]
        var separators: [(Point, Point)]
        var texts: [TextItem]
        var colorBar: ColorBar?
        /// The horizontal colour bar and its tick marks (x positions, at the bar's bottom edge).
        var colorBarRect: Rect?
        var colorBarTicks: [Double] = []
        var maskedSwatch: Rect?
        var visibleSwatch: Rect?
        var hiddenSwatch: Rect?
        var maskColors: [RGB]
    }

    private var resolvedCell: Double {
        if let cellSize { return cellSize }
        var n = 1
        for column in columns {
            for mask in column.masks { n = max(n, mask.mask.count, mask.mask.first?.count ?? 0) }
            for map in column.maps { n = max(n, map.values.count, map.values.first?.count ?? 0) }
        }
        return min(28, max(14, 168 / Double(n)))
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let c = resolvedCell
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let rowNameSize = FigureStyle.labelSize
        let gutter = m.lineHeight(size: rowNameSize) + Geometry.gutterGap
        let itemTitleSize = FigureStyle.labelSize

        // Blocks and natural widths per column.
        var maskBlocks: [[MatrixBlock]] = [], mapBlocks: [[MatrixBlock]] = []
        var widths: [Double] = [], captions: [[String]] = []
        for column in columns {
            // A block whose rows are those of its left neighbour shares that neighbour's row labels
            // and "query" title (as the panels of a head grid share theirs): the poster has no width
            // to spare for them twice.
            func sharedRows(_ labels: [[String]], _ k: Int) -> [String] {
                k > 0 && labels[k] == labels[k - 1] ? [] : labels[k]
            }
            let maskRows = column.masks.map(\.rowLabels), mapRows = column.maps.map(\.rowLabels)
            let masks = column.masks.enumerated().map { k, mask in
                MatrixBlock(title: mask.title, rows: mask.mask.count, columns: mask.mask.first?.count ?? 0,
                            rowLabels: sharedRows(maskRows, k), columnLabels: mask.columnLabels, cell: c,
                            titleSize: itemTitleSize, minLabelSize: Geometry.minLabelSize, axisTitles: true, m)
            }
            let maps = column.maps.enumerated().map { k, map in
                MatrixBlock(title: map.title, rows: map.values.count, columns: map.values.first?.count ?? 0,
                            rowLabels: sharedRows(mapRows, k), columnLabels: map.columnLabels, cell: c,
                            titleSize: itemTitleSize, minLabelSize: Geometry.minLabelSize, axisTitles: true, m)
            }
            maskBlocks.append(masks)
            mapBlocks.append(maps)
            func rowWidth(_ blocks: [MatrixBlock]) -> Double {
                blocks.map(\.size.width).reduce(0, +) + Double(max(0, blocks.count - 1)) * Geometry.itemGap
            }
            var w = max(Geometry.minColumnWidth, m.width(column.title, size: Geometry.headingSize, weight: .bold),
                        showsDiagrams ? column.diagram.layout(margin: 0, m).size.width : 0, rowWidth(masks), rowWidth(maps))
            var lines = balancedWrap(column.caption, size: Geometry.captionSize, maxWidth: w, m)
            if lines.count > 2 {
                w = max(w, min(Geometry.maxCaptionWidth, m.width(column.caption, size: Geometry.captionSize) / 2 + 30))
                lines = balancedWrap(column.caption, size: Geometry.captionSize, maxWidth: w, m)
            }
            widths.append(w)
            captions.append(lines)
        }

        // Row heights.
        let headingHeight = m.lineHeight(size: Geometry.headingSize, weight: .bold)
        let captionLine = m.lineHeight(size: Geometry.captionSize) + 2
        let headerHeight = columns.indices.map { i in
            (columns[i].title.isEmpty ? 0 : headingHeight + 4) + Double(captions[i].count) * captionLine
        }.max() ?? 0
        let diagramSizes = showsDiagrams ? columns.map { $0.diagram.layout(margin: 0, m).size } : columns.map { _ in Size.zero }
        let diagramHeight = diagramSizes.map(\.height).max() ?? 0
        // The legends go under the last column's blocks: its rows grow when they would not fit.
        let tickLine = m.lineHeight(size: FigureStyle.tickSize)
        let maskLegendHeight = max(Geometry.swatch, tickLine)
        let barLegendHeight = Geometry.barThickness + Geometry.tickLength + 2 + tickLine
        func lastHeight(_ blocks: [[MatrixBlock]]) -> Double { blocks.last?.map(\.size.height).max() ?? 0 }
        var masksHeight = maskBlocks.flatMap { $0 }.map(\.size.height).max() ?? 0
        var mapsHeight = mapBlocks.flatMap { $0 }.map(\.size.height).max() ?? 0
        if masksHeight > 0 { masksHeight = max(masksHeight, lastHeight(maskBlocks) + Geometry.legendGap + maskLegendHeight) }
        if mapsHeight > 0 { mapsHeight = max(mapsHeight, lastHeight(mapBlocks) + Geometry.legendGap + barLegendHeight) }

        // Vertical positions.
        let headerTop = margin + titles.height(m)
        let diagramTop = headerTop + headerHeight + Geometry.headerGap
        var y = diagramTop + diagramHeight
        let masksTop = y + (diagramHeight > 0 ? Geometry.rowGap : 0)
        if masksHeight > 0 { y = masksTop + masksHeight }
        let mapsTop = y + (y > diagramTop ? Geometry.rowGap : 0)
        if mapsHeight > 0 { y = mapsTop + mapsHeight }

        // Columns.
        let left = margin + gutter
        var x = left
        var columnLayouts: [ColumnLayout] = []
        var separators: [(Point, Point)] = []
        var texts: [TextItem] = []
        for (i, column) in columns.enumerated() {
            let w = widths[i]
            let cx = x + w / 2
            var heading: [TextItem] = []
            var ty = headerTop
            if !column.title.isEmpty {
                heading.append(TextItem(text: column.title, at: Point(x: cx, y: ty), size: Geometry.headingSize,
                                        weight: .bold, alignment: .center, verticalAlignment: .top))
                ty += headingHeight + 4
            }
            for line in captions[i] {
                heading.append(TextItem(text: line, at: Point(x: cx, y: ty), size: Geometry.captionSize,
                                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top))
                ty += captionLine
            }
            // Diagrams are drawn at their natural size, bottoms aligned (inputs on one line).
            let d = diagramSizes[i]
            let diagramRect = Rect(x: cx - d.width / 2, y: diagramTop + diagramHeight - d.height, width: d.width, height: d.height)
            func place(_ blocks: [MatrixBlock], top: Double) -> [(block: MatrixBlock, origin: Point)] {
                let total = blocks.map(\.size.width).reduce(0, +) + Double(max(0, blocks.count - 1)) * Geometry.itemGap
                var bx = cx - total / 2
                return blocks.map { b in
                    defer { bx += b.size.width + Geometry.itemGap }
                    return (b, Point(x: bx, y: top))
                }
            }
            let masks = place(maskBlocks[i], top: masksTop)
            let maps = place(mapBlocks[i], top: mapsTop)
            for (b, o) in masks { texts += b.texts(at: o) }
            for (b, o) in maps { texts += b.texts(at: o) }
            texts += heading
            columnLayouts.append(ColumnLayout(area: Rect(x: x, y: headerTop, width: w, height: y - headerTop),
                                              headingTexts: heading, diagramRect: diagramRect, maskBlocks: masks,
                                              mapBlocks: maps))
            x += w
            if i + 1 < columns.count {
                let sx = x + Geometry.columnGap / 2
                separators.append((Point(x: sx, y: headerTop), Point(x: sx, y: y)))
                x += Geometry.columnGap
            }
        }
        let columnsRight = x

        // Row names in the left gutter, rotated, when they fit their row; a figure of one row
        // alone (a slide of lesson 8) says what it shows in its title instead.
        let rows: [(String, Double, Double)] = [
            (Self.rowNames[0], diagramTop, diagramHeight),
            (Self.rowNames[1], masksTop, masksHeight),
            (Self.rowNames[2], mapsTop, mapsHeight),
        ].filter { $0.2 > 0 }
        for (name, top, height) in rows where rows.count > 1 {
            var size = rowNameSize
            while size > 9 && m.width(name, size: size) > height { size -= 0.5 }
            guard m.width(name, size: size) <= height else { continue }
            texts.append(TextItem(text: name, at: Point(x: margin + m.lineHeight(size: rowNameSize) / 2, y: top + height / 2),
                                  size: size, color: FigureStyle.mutedText, alignment: .center, verticalAlignment: .middle,
                                  rotation: 90))
        }

        // Under the last column: the mask legend under its masks, the colour bar under its maps.
        let lastMasks = columnLayouts.last?.maskBlocks ?? [], lastMaps = columnLayouts.last?.mapBlocks ?? []
        let legendCenter = columnLayouts.last?.area.midX ?? margin
        var visibleSwatch: Rect? = nil, hiddenSwatch: Rect? = nil
        let maskColors = uniqueColors(columns.flatMap { $0.masks.map(\.visibleColor) })
        if masksHeight > 0 {
            let size = FigureStyle.tickSize
            let top = (lastMasks.map { $0.origin.y + $0.block.size.height }.max() ?? masksTop) + Geometry.legendGap
            let visibleWidth = m.width(MaskPattern.visibleLegend, size: size)
            let hiddenWidth = m.width(MaskPattern.hiddenLegend, size: size)
            let total = 2 * (Geometry.swatch + 6) + visibleWidth + 24 + hiddenWidth
            var x = legendCenter - total / 2
            let midY = top + maskLegendHeight / 2
            visibleSwatch = Rect(x: x, y: midY - Geometry.swatch / 2, width: Geometry.swatch, height: Geometry.swatch)
            texts.append(TextItem(text: MaskPattern.visibleLegend, at: Point(x: x + Geometry.swatch + 6, y: midY),
                                  size: size, color: FigureStyle.secondaryText, verticalAlignment: .middle))
            x += Geometry.swatch + 6 + visibleWidth + 24
            hiddenSwatch = Rect(x: x, y: midY - Geometry.swatch / 2, width: Geometry.swatch, height: Geometry.swatch)
            texts.append(TextItem(text: MaskPattern.hiddenLegend, at: Point(x: x + Geometry.swatch + 6, y: midY),
                                  size: size, color: FigureStyle.secondaryText, verticalAlignment: .middle))
        }
        var bar: ColorBar? = nil, barRect: Rect? = nil, barTicks: [Double] = [], maskedSwatch: Rect? = nil
        if mapsHeight > 0 {
            let allValues = columns.flatMap { $0.maps.flatMap { $0.values.joined() } }
            let spec = ColorBar(colorMap: colorMap, range: Double(valueRange.lowerBound)...Double(valueRange.upperBound),
                                label: colorBarLabel,
                                maskedLegend: maskedLegendText(allValues, anyHidden: columns.contains {
                                    $0.maps.contains { $0.hidden?.joined().contains(true) ?? false } }))
            let size = FigureStyle.tickSize
            let top = (lastMaps.map { $0.origin.y + $0.block.size.height }.max() ?? mapsTop) + Geometry.legendGap
            let labelWidth = spec.label.isEmpty ? 0 : m.width(spec.label, size: FigureStyle.labelSize) + 10
            let maskedWidth = spec.maskedLegend.map { 16 + Geometry.swatch + 6 + m.width($0, size: size) } ?? 0
            let total = labelWidth + Geometry.barLength + maskedWidth
            let barX = legendCenter - total / 2 + labelWidth
            let rect = Rect(x: barX, y: top, width: Geometry.barLength, height: Geometry.barThickness)
            if !spec.label.isEmpty {
                texts.append(TextItem(text: spec.label, at: Point(x: barX - 10, y: rect.midY), size: FigureStyle.labelSize,
                                      color: FigureStyle.secondaryText, alignment: .right, verticalAlignment: .middle))
            }
            let ticks = niceTicks(from: spec.range.lowerBound, to: spec.range.upperBound, maxCount: 6)
            let span = spec.range.upperBound - spec.range.lowerBound
            for (value, label) in zip(ticks, tickLabels(ticks)) {
                let x = rect.minX + (span > 0 ? (value - spec.range.lowerBound) / span : 0.5) * rect.width
                barTicks.append(x)
                texts.append(TextItem(text: label, at: Point(x: x, y: rect.maxY + Geometry.tickLength + 2), size: size,
                                      color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top))
            }
            if let legend = spec.maskedLegend {
                let swatch = Rect(x: rect.maxX + 16, y: rect.midY - Geometry.swatch / 2, width: Geometry.swatch,
                                  height: Geometry.swatch)
                maskedSwatch = swatch
                texts.append(TextItem(text: legend, at: Point(x: swatch.maxX + 6, y: swatch.midY), size: size,
                                      color: FigureStyle.secondaryText, verticalAlignment: .middle))
            }
            bar = spec
            barRect = rect
        }
        let contentRight = max(columnsRight, texts.map { $0.bounds(TextMeasurer()).maxX }.max() ?? columnsRight)
        let width = max(contentRight + margin, titles.width(m) + 2 * margin)
        var layout = Layout(size: Size(width: width.rounded(.up), height: (y + margin).rounded(.up)), titleTop: margin,
                            columns: columnLayouts, separators: separators, texts: texts, colorBar: bar,
                            colorBarRect: barRect, colorBarTicks: barTicks, maskedSwatch: maskedSwatch,
                            visibleSwatch: visibleSwatch, hiddenSwatch: hiddenSwatch,
                            maskColors: maskColors)
        let shift = (width - (contentRight + margin)) / 2
        if shift > 0 { layout = layout.offsetBy(dx: shift) }
        return layout
    }

    private func uniqueColors(_ colors: [RGB]) -> [RGB] {
        var seen: [RGB] = []
        for c in colors where !seen.contains(c) { seen.append(c) }
        return seen
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// Where column `column`'s block diagram is drawn inside `frame`.
    public func diagramRect(column: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.columns[column].diagramRect)
    }

    /// The boxes of column `column`'s block diagram as drawn inside `frame`.
    public func boxes(column: Int, in frame: Rect) -> [BlockDiagram.Box] {
        columns[column].diagram.boxes(in: diagramRect(column: column, in: frame), margin: 0)
    }

    /// Where cell (`query`, `key`) of map `map` of column `column` is drawn inside `frame`.
    public func mapCellRect(column: Int, map: Int, query: Int, key: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        let (b, o) = L.columns[column].mapBlocks[map]
        return Placement(natural: L.size, in: frame).rect(b.cellRect(row: query, column: key, at: o))
    }

    /// Where cell (`query`, `key`) of mask `mask` of column `column` is drawn inside `frame`.
    public func maskCellRect(column: Int, mask: Int, query: Int, key: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        let (b, o) = L.columns[column].maskBlocks[mask]
        return Placement(natural: L.size, in: frame).rect(b.cellRect(row: query, column: key, at: o))
    }

    /// Every string the figure draws outside the diagrams (to check glyph coverage).
    public var labels: [String] {
        let L = layout(TextMeasurer())
        return [title, subtitle] + L.texts.map(\.text)
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let L = layout(TextMeasurer())
        let placement = Placement(natural: L.size, in: frame)
        try placement.apply(to: canvas) {
            TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            for (a, b) in L.separators { canvas.line(from: a, to: b, color: FigureStyle.grid, width: 1) }
            for (i, column) in columns.enumerated() {
                let C = L.columns[i]
                if showsDiagrams { try column.diagram.draw(on: canvas, in: C.diagramRect, margin: 0) }
                for (k, (b, o)) in C.maskBlocks.enumerated() {
                    drawMaskCells(column.masks[k].mask, on: canvas, visibleColor: column.masks[k].visibleColor,
                                  gap: cellGap(b.cell)) { r, c in b.cellRect(row: r, column: c, at: o) }
                    canvas.strokeRect(b.grid(at: o), color: RGB(hex: 0x888888), width: 0.75)
                }
                for (k, (b, o)) in C.mapBlocks.enumerated() {
                    drawMatrixCells(column.maps[k].values, hidden: column.maps[k].hidden, on: canvas, colorMap: colorMap, range: valueRange,
                                    gap: cellGap(b.cell)) { r, c in b.cellRect(row: r, column: c, at: o) }
                }
            }
            if let v = L.visibleSwatch, let h = L.hiddenSwatch {
                drawMaskLegendSwatches(on: canvas, visible: v, hidden: h, visibleColors: L.maskColors)
            }
            for item in L.texts { item.draw(on: canvas) }
            if let bar = L.colorBar, let rect = L.colorBarRect {
                canvas.fillGradient(rect, colorMap: bar.colorMap, vertical: false)
                canvas.strokeRect(rect, color: RGB(hex: 0x888888), width: 0.75)
                for x in L.colorBarTicks {
                    canvas.line(from: Point(x: x, y: rect.maxY), to: Point(x: x, y: rect.maxY + Geometry.tickLength),
                                color: FigureStyle.axis, width: 1)
                }
            }
            if let swatch = L.maskedSwatch {
                drawMaskedCell(on: canvas, swatch, text: nil, textSize: 0)
                canvas.strokeRect(swatch, color: RGB(hex: 0x888888), width: 0.75)
            }
        }
        try canvas.checkStatus("draw architecture comparison")
    }
}

extension ArchitectureComparison.Layout {
    func offsetBy(dx: Double) -> Self {
        var l = self
        l.columns = columns.map { c in
            var c = c
            c.area = c.area.offsetBy(dx: dx, dy: 0)
            c.headingTexts = c.headingTexts.map { $0.offsetBy(dx: dx, dy: 0) }
            c.diagramRect = c.diagramRect.offsetBy(dx: dx, dy: 0)
            c.maskBlocks = c.maskBlocks.map { ($0.block, Point(x: $0.origin.x + dx, y: $0.origin.y)) }
            c.mapBlocks = c.mapBlocks.map { ($0.block, Point(x: $0.origin.x + dx, y: $0.origin.y)) }
            return c
        }
        l.separators = separators.map { (Point(x: $0.0.x + dx, y: $0.0.y), Point(x: $0.1.x + dx, y: $0.1.y)) }
        l.texts = texts.map { $0.offsetBy(dx: dx, dy: 0) }
        l.colorBarRect = colorBarRect?.offsetBy(dx: dx, dy: 0)
        l.colorBarTicks = colorBarTicks.map { $0 + dx }
        l.maskedSwatch = maskedSwatch?.offsetBy(dx: dx, dy: 0)
        l.visibleSwatch = visibleSwatch?.offsetBy(dx: dx, dy: 0)
        l.hiddenSwatch = hiddenSwatch?.offsetBy(dx: dx, dy: 0)
        return l
    }
}
