import Foundation
import Testing
@testable import Figures

// HeadGrid, ModelView and HeadView: pixels where the weights say, one shared scale, layouts that fit.

/// A seeded softmax-rows matrix (rows sum to 1), for realistic layouts.
func softmaxRows(_ rows: Int, _ columns: Int, seed: Int) -> [[Float]] {
    (0..<rows).map { r in
        let scores = (0..<columns).map { c in Float(sin(Double(seed * 131 + r * 17 + c * 7) * 12.9898) * 2.5) }
        let top = scores.max() ?? 0
        let e = scores.map { exp($0 - top) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }
}

/// Problems with a laid-out figure: text leaving `frame`, two unrotated labels overlapping, or a label
/// covering one of `shapes` (cells, boxes). Empty when the layout is clean.
func layoutProblems(_ texts: [TextItem], shapes: [Rect] = [], frame: Rect) -> [String] {
    let m = TextMeasurer()
    var problems: [String] = []
    let bounds = texts.map { $0.bounds(m) }
    for (item, b) in zip(texts, bounds) {
        if !frame.contains(b, tolerance: 0.5) { problems.append("\"\(item.text)\" \(b) leaves the figure \(frame)") }
        for shape in shapes where b.insetBy(0.5).intersects(shape.insetBy(0.5)) {
            problems.append("\"\(item.text)\" \(b) covers \(shape)")
        }
    }
    // Axis-aligned bounds of slanted labels overlap by construction; compare the upright ones.
    let upright = texts.indices.filter { texts[$0].rotation == 0 }
    for (n, i) in upright.enumerated() {
        for j in upright[(n + 1)...] where bounds[i].insetBy(0.5).intersects(bounds[j].insetBy(0.5)) {
            problems.append("\"\(texts[i].text)\" overlaps \"\(texts[j].text)\"")
        }
    }
    return problems
}

/// Whether some pixel within `radius` device pixels of `point` is within `tolerance` of `color`.
func somePixelNear(_ image: PNGImage, _ point: Point, scale: Double, radius: Int = 2, matches color: RGB,
                   tolerance: Int) -> Bool {
    let cx = Int((point.x * scale).rounded(.down)), cy = Int((point.y * scale).rounded(.down))
    for dy in -radius...radius {
        for dx in -radius...radius {
            let x = cx + dx, y = cy + dy
            guard x >= 0, y >= 0, x < image.width, y < image.height else { continue }
            if channelDistance(image.pixel(x: x, y: y), color) <= tolerance { return true }
        }
    }
    return false
}

func expectInvalidData(_ chart: any Chart, _ note: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let error = #expect(throws: FigureError.self, "\(note)", sourceLocation: sourceLocation) { try renderPNGData(chart) }
    guard case .invalidData = error else {
        Issue.record("\(note): expected invalidData, got \(String(describing: error))", sourceLocation: sourceLocation)
        return
    }
    _ = chart.preferredSize   // must not crash on bad data either
}

@Suite("Model view")
struct ModelViewTests {
    static let tokens = ["我", "am", "</s>"]
    /// 2 layers × 4 heads × 3 × 3, every one of the 72 values different, spread over 0...1.
    static let weights: [[[[Float]]]] = (0..<2).map { (l: Int) -> [[[Float]]] in
        (0..<4).map { (h: Int) -> [[Float]] in
            (0..<3).map { (r: Int) -> [Float] in
                (0..<3).map { (c: Int) -> Float in
                    let index: Int = (l * 4 + h) * 9 + r * 3 + c
                    return Float(index * 37 % 72) / 71
                }
            }
        }
    }

    @Test func thumbnailCellsHaveTheColourOfTheirWeight() throws {
        let view = ModelView(title: "2 layers × 4 heads", weights: Self.weights, rowLabels: Self.tokens,
                             columnLabels: Self.tokens)
        let scale = 2.0
        let image = try renderedImage(view, scale: scale)
        #expect((image.width, image.height) == expectedPixels(view, scale: scale))
        let frame = Rect(origin: .zero, size: view.preferredSize)
        var checked = Set<Float>()
        for l in 0..<2 {
            for h in 0..<4 {
                for (r, c) in [(0, 0), (1, 2), (2, 1)] {
                    let value = Self.weights[l][h][r][c]
                    let expected = ColorMap.viridis.color(at: Double(value))
                    let pixel = image.pixel(at: view.cellRect(layer: l, head: h, row: r, column: c, in: frame).center, scale: scale)
                    #expect(channelDistance(pixel, expected) <= 1,
                            "layer \(l) head \(h) cell (\(r), \(c)) = \(value): \(describe(pixel)) vs \(expected.hexString)")
                    checked.insert(value)
                }
            }
        }
        #expect(checked.count == 24, "the sampled cells hold distinct values")
        // Thumbnails follow the grid: heads left to right, layers top to bottom.
        let a = view.thumbnailRect(layer: 0, head: 0, in: frame), b = view.thumbnailRect(layer: 0, head: 1, in: frame)
        let below = view.thumbnailRect(layer: 1, head: 0, in: frame)
        #expect(b.minX > a.maxX && abs(b.minY - a.minY) < 1e-9)
        #expect(below.minY > a.maxY && abs(below.minX - a.minX) < 1e-9)
    }

    @Test func aSmallerOffsetFrameScalesTheWholeFigureAndCellRectFollows() throws {
        let view = ModelView(title: "Scaled", weights: Self.weights, rowLabels: Self.tokens, columnLabels: Self.tokens)
        let size = view.preferredSize
        let canvas = try Canvas(size: size, scale: 2)
        canvas.fillBackground()
        let frame = Rect(x: 40, y: 30, width: size.width / 2, height: size.height / 2)
        try view.draw(on: canvas, in: frame)
        let image = try PNGImage(data: canvas.pngData())
        let full = view.cellRect(layer: 1, head: 3, row: 2, column: 0, in: Rect(origin: .zero, size: size))
        let cell = view.cellRect(layer: 1, head: 3, row: 2, column: 0, in: frame)
        #expect(abs(cell.width - full.width / 2) < 1e-9 && frame.contains(cell))
        let expected = ColorMap.viridis.color(at: Double(Self.weights[1][3][2][0]))
        #expect(channelDistance(image.pixel(at: cell.center, scale: 2), expected) <= 1)
        // Outside the frame nothing is drawn.
        #expect(channelDistance(image.pixel(at: Point(x: frame.maxX + 5, y: frame.maxY + 5), scale: 2), .white) == 0)
    }

    @Test func tokensAreLabelledOnlyWhenLegible() throws {
        let small = ModelView(title: "t", weights: Self.weights, rowLabels: Self.tokens, columnLabels: Self.tokens)
        #expect(small.showsTokenLabels)
        // Up to 16 tokens the thumbnails grow so that every token keeps its label.
        let eleven = (0..<2).map { l in (0..<3).map { h in softmaxRows(11, 11, seed: l * 3 + h) } }
        let labelled = ModelView(title: "t", weights: eleven, rowLabels: sentence, columnLabels: sentence)
        #expect(labelled.showsTokenLabels, "11 tokens keep their labels")
        let sixteen = (0..<16).map { "w\($0)" }
        let sixteenView = ModelView(title: "t", weights: [[softmaxRows(16, 16, seed: 1)]], rowLabels: sixteen,
                                    columnLabels: sixteen, thumbnailSize: 56)
        #expect(sixteenView.showsTokenLabels)
        // Beyond that the note under the grid gives the token order instead.
        let many = (0..<24).map { "w\($0)" }
        let big = ModelView(title: "t", weights: [[softmaxRows(24, 24, seed: 2)]], rowLabels: many, columnLabels: many)
        #expect(!big.showsTokenLabels, "24 tokens in 120-unit thumbnails are too small to label")
        let note = big.layout(TextMeasurer()).texts.map(\.text).joined(separator: " ")
        #expect(note.contains("w23") && note.contains("queries"), "the note gives the token order instead")
    }

    @Test func sixLayersOfTwelveHeadsFitWithoutOverlap() {
        let weights = (0..<6).map { l in (0..<12).map { h in softmaxRows(11, 11, seed: l * 12 + h) } }
        for view in [ModelView(title: "Model view", subtitle: "6 layers × 12 heads", weights: weights,
                               rowLabels: sentence, columnLabels: sentence),
                     ModelView(title: "模型", weights: (0..<2).map { l in (0..<4).map { softmaxRows(5, 5, seed: l * 4 + $0) } },
                               rowLabels: ["<s>", "我", "是", "学生", "</s>"], columnLabels: ["<s>", "我", "是", "学生", "</s>"])] {
            let L = view.layout(TextMeasurer())
            let frame = Rect(origin: .zero, size: L.size)
            let problems = layoutProblems(L.texts, shapes: L.thumbnails.flatMap { $0 } + [L.colorBarRect], frame: frame)
            #expect(problems.isEmpty, "\(problems.prefix(5))")
            #expect(frame.contains(L.colorBarRect))
        }
    }

    @Test func invalidModelsAreRejected() {
        let head = [[Float]](repeating: [0.5, 0.5], count: 2)
        let labels = ["a", "b"]
        let cases: [(ModelView, String)] = [
            (ModelView(title: "", weights: [], rowLabels: [], columnLabels: []), "no layers"),
            (ModelView(title: "", weights: [[]], rowLabels: labels, columnLabels: labels), "no heads"),
            (ModelView(title: "", weights: [[head, head], [head]], rowLabels: labels, columnLabels: labels), "ragged layers"),
            (ModelView(title: "", weights: [[head, [[0.5, 0.5], [1]]]], rowLabels: labels, columnLabels: labels), "ragged matrix"),
            (ModelView(title: "", weights: [[head]], rowLabels: ["a"], columnLabels: labels), "row labels"),
            (ModelView(title: "", weights: [[head]], rowLabels: labels, columnLabels: ["a", "b", "c"]), "column labels"),
            (ModelView(title: "", weights: [[head]], rowLabels: labels, columnLabels: labels, layerLabels: ["1", "2"]), "layer labels"),
            (ModelView(title: "", weights: [[head]], rowLabels: labels, columnLabels: labels, headLabels: []), "head labels"),
            (ModelView(title: "", weights: [[head]], rowLabels: labels, columnLabels: labels, valueRange: 1...1), "empty range"),
            (ModelView(title: "", weights: [[head]], rowLabels: labels, columnLabels: labels, thumbnailSize: 0), "thumbnail"),
        ]
        for (view, note) in cases { expectInvalidData(view, note) }
    }

    @Test func renderingIsDeterministic() throws {
        let view = ModelView(title: "Determinism 我", weights: Self.weights, rowLabels: Self.tokens, columnLabels: Self.tokens)
        let a = try renderPNGData(view), b = try renderPNGData(view)
        #expect(a.count > 1000)
        #expect(a == b)
    }
}

@Suite("Head grid")
struct HeadGridTests {
    static let labels = ["<s>", "我", "是", "</s>"]
    /// Head 1 spans 0...1; head 2 stays in 0...0.5, so a per-head scale would stretch it.
    static let heads: [[[Float]]] = [
        (0..<4).map { r in (0..<4).map { c in Float(r * 4 + c) / 15 } },
        (0..<4).map { r in (0..<4).map { c in Float((r * 4 + c) % 6) / 10 } },
    ]

    @Test func cellsOfEveryHeadUseTheOneSharedScale() throws {
        let grid = HeadGrid(title: "Two heads", heads: Self.heads, rowLabels: Self.labels, columnLabels: Self.labels,
                            showValues: false)
        let image = try renderedImage(grid)
        #expect((image.width, image.height) == expectedPixels(grid))
        let frame = Rect(origin: .zero, size: grid.preferredSize)
        for h in 0..<2 {
            for (r, c) in [(0, 0), (1, 3), (2, 1), (3, 3)] {
                let value = Self.heads[h][r][c]
                let pixel = image.pixel(at: grid.cellRect(head: h, row: r, column: c, in: frame).center, scale: 2)
                #expect(channelDistance(pixel, ColorMap.viridis.color(at: Double(value))) <= 1,
                        "head \(h) cell (\(r), \(c)) = \(value): \(describe(pixel))")
            }
        }
        // 0.4 appears in both heads (head 1 row 1 col 2 = 6/15, head 2 row 1 col 0 = 4/10): one colour.
        let a = image.pixel(at: grid.cellRect(head: 0, row: 1, column: 2, in: frame).center, scale: 2)
        let b = image.pixel(at: grid.cellRect(head: 1, row: 1, column: 0, in: frame).center, scale: 2)
        #expect(Self.heads[0][1][2] == Self.heads[1][1][0])
        #expect(channelDistance(a, RGB(red: Double(b.0) / 255, green: Double(b.1) / 255, blue: Double(b.2) / 255)) <= 1)
        // Head 2's largest value (0.5) is mid-scale, not the top colour.
        let top = image.pixel(at: grid.cellRect(head: 1, row: 1, column: 1, in: frame).center, scale: 2)
        #expect(Self.heads[1][1][1] == 0.5)
        #expect(channelDistance(top, ColorMap.viridis.color(at: 1)) > 60)
        // Head 2 sits to the right of head 1.
        #expect(grid.cellRect(head: 1, row: 0, column: 0, in: frame).minX > grid.cellRect(head: 0, row: 0, column: 3, in: frame).maxX)
    }

    @Test func automaticColumnsAndTitles() {
        func grid(_ n: Int, columns: Int? = nil) -> HeadGrid {
            HeadGrid(title: "", heads: (0..<n).map { _ in [[1]] }, rowLabels: ["a"], columnLabels: ["a"], columns: columns)
        }
        #expect([1, 2, 3, 4, 6, 8, 12, 16].map { grid($0).resolvedColumns } == [1, 2, 3, 2, 3, 4, 4, 4])
        #expect(grid(8, columns: 2).resolvedColumns == 2)
        #expect(grid(3).resolvedHeadTitles == ["head 1", "head 2", "head 3"])
    }

    @Test func elevenTokenGridsFitWithoutOverlap() {
        for n in [4, 6, 8] {
            let heads = (0..<n).map { softmaxRows(11, 11, seed: $0) }
            let grid = HeadGrid(title: "\(n) heads", subtitle: "one shared colour scale", heads: heads,
                                rowLabels: sentence, columnLabels: sentence)
            let L = grid.layout(TextMeasurer())
            let frame = Rect(origin: .zero, size: L.size)
            let problems = layoutProblems(L.texts, shapes: L.grids + [L.colorBarRect], frame: frame)
            #expect(problems.isEmpty, "\(n) heads: \(problems.prefix(5))")
            // Panels never overlap each other.
            for i in L.grids.indices {
                for j in L.grids.indices where j > i { #expect(!L.grids[i].intersects(L.grids[j])) }
            }
        }
    }

    @Test func invalidGridsAreRejected() {
        let ok: [[Float]] = [[0.5, 0.5], [0.5, 0.5]]
        let labels = ["a", "b"]
        let cases: [(HeadGrid, String)] = [
            (HeadGrid(title: "", heads: [], rowLabels: [], columnLabels: []), "no heads"),
            (HeadGrid(title: "", heads: [ok, [[1, 0]]], rowLabels: labels, columnLabels: labels), "heads of different sizes"),
            (HeadGrid(title: "", heads: [[[1, 0], [1]]], rowLabels: labels, columnLabels: labels), "ragged"),
            (HeadGrid(title: "", heads: [ok], rowLabels: ["a"], columnLabels: labels), "row labels"),
            (HeadGrid(title: "", heads: [ok], rowLabels: labels, columnLabels: ["a"]), "column labels"),
            (HeadGrid(title: "", heads: [ok], headTitles: ["x", "y"], rowLabels: labels, columnLabels: labels), "titles"),
            (HeadGrid(title: "", heads: [ok], rowLabels: labels, columnLabels: labels, columns: 0), "columns"),
            (HeadGrid(title: "", heads: [ok], rowLabels: labels, columnLabels: labels, valueRange: 1...1), "range"),
        ]
        for (grid, note) in cases { expectInvalidData(grid, note) }
    }
}

@Suite("Head view")
struct HeadViewTests {
    static let tokens = ["我", "是", "学生", "</s>"]

    /// Head 1: query 0 → key 2 with weight 1. Head 2: query 3 → key 0 with weight 1. Everything else 0.
    static var heads: [[[Float]]] {
        var a = [[Float]](repeating: [0, 0, 0, 0], count: 4), b = a
        a[0][2] = 1
        b[3][0] = 1
        return [a, b]
    }

    static func midpoint(_ a: Point, _ b: Point) -> Point { Point(x: (a.x + b.x) / 2, y: (a.y + b.y) / 2) }

    @Test func linesHaveTheirHeadColourAndZeroWeightsDrawNothing() throws {
        let view = HeadView(title: "Lines", queryTokens: Self.tokens, keyTokens: Self.tokens, heads: Self.heads)
        let image = try renderedImage(view)
        #expect((image.width, image.height) == expectedPixels(view))
        let frame = Rect(origin: .zero, size: view.preferredSize)
        let head1 = Self.midpoint(view.queryAnchor(0, in: frame), view.keyAnchor(2, in: frame))
        let head2 = Self.midpoint(view.queryAnchor(3, in: frame), view.keyAnchor(0, in: frame))
        #expect(somePixelNear(image, head1, scale: 2, matches: view.color(ofHead: 0), tolerance: 6),
                "query 0 → key 2 in head 1's colour \(view.color(ofHead: 0))")
        #expect(somePixelNear(image, head2, scale: 2, matches: view.color(ofHead: 1), tolerance: 6))
        #expect(!somePixelNear(image, head1, scale: 2, radius: 4, matches: view.color(ofHead: 1), tolerance: 40))
        // A zero-weight segment (query 3 → key 3) leaves the background untouched along its middle.
        let empty = Self.midpoint(view.queryAnchor(3, in: frame), view.keyAnchor(3, in: frame))
        for dx in [-20.0, 0, 20] {
            let p = image.pixel(at: Point(x: empty.x + dx, y: empty.y), scale: 2)
            #expect(channelDistance(p, .white) == 0, "zero-weight segment pixel \(describe(p))")
        }
        // Anchors: queries left of keys, one row per token, top to bottom.
        #expect(view.queryAnchor(0, in: frame).x < view.keyAnchor(0, in: frame).x - 200)
        #expect(view.queryAnchor(1, in: frame).y > view.queryAnchor(0, in: frame).y)
    }

    /// Two heads weigh the same pair: one line in the stronger head's own colour, never a blend.
    /// A weak head (largest weight 0.3) is drawn at full strength, scaled to the figure's maximum.
    @Test func aSharedPairIsDrawnInItsStrongestHeadAtTheFiguresScale() throws {
        var a = [[Float]](repeating: [0, 0, 0, 0], count: 4), b = a
        a[0][2] = 0.2
        b[0][2] = 0.3
        let view = HeadView(title: "Weak heads", queryTokens: Self.tokens, keyTokens: Self.tokens, heads: [a, b])
        #expect(view.lines == [HeadView.Line(query: 0, key: 2, head: 1, weight: 0.3)])
        #expect(view.largestWeight == 0.3)
        #expect(view.legendNote.contains("0.30"))
        let image = try renderedImage(view)
        let frame = Rect(origin: .zero, size: view.preferredSize)
        let middle = Self.midpoint(view.queryAnchor(0, in: frame), view.keyAnchor(2, in: frame))
        // Full opacity: the pixel is head 2's colour itself, not a pale or mixed version.
        #expect(somePixelNear(image, middle, scale: 2, matches: view.color(ofHead: 1), tolerance: 6))
        #expect(!somePixelNear(image, middle, scale: 2, radius: 4, matches: view.color(ofHead: 0), tolerance: 40))
    }

    /// A pair of figures on one opacity scale: with `opacityScale` 0.6 a weight of 0.3 is drawn at
    /// half opacity (head colour half-way to white), and the legend names the shared scale.
    @Test func anOpacityScaleSharedByAPairDrawsAWeakerFigurePaler() throws {
        var a = [[Float]](repeating: [0, 0, 0, 0], count: 4)
        a[0][2] = 0.3
        let view = HeadView(title: "Pair", queryTokens: Self.tokens, keyTokens: Self.tokens, heads: [a], opacityScale: 0.6)
        #expect(view.largestWeight == 0.3)
        #expect(view.opaqueWeight == 0.6)
        #expect(view.legendNote.contains("0.60") && view.legendNote.contains("(one scale for the pair)"))
        let image = try renderedImage(view)
        let frame = Rect(origin: .zero, size: view.preferredSize)
        let middle = Self.midpoint(view.queryAnchor(0, in: frame), view.keyAnchor(2, in: frame))
        #expect(somePixelNear(image, middle, scale: 2, matches: view.color(ofHead: 0).mixed(with: .white, 0.5), tolerance: 12))
        #expect(!somePixelNear(image, middle, scale: 2, radius: 4, matches: view.color(ofHead: 0), tolerance: 12))
        // Without the shared scale the same figure draws its own maximum fully opaque.
        var alone = view
        alone.opacityScale = nil
        #expect(alone.opaqueWeight == 0.3 && alone.legendNote.contains("(the largest weight here)"))
    }

    /// 44 tokens: three keys per query, a figure near 16:9 instead of a 1:2 column of 23,000 lines.
    @Test func longInputsDrawTopKeysOnANearWideFigure() throws {
        let tokens = (0..<44).map { "t\($0)" }
        var heads: [[[Float]]] = []
        for h in 0..<12 {
            var rows: [[Float]] = []
            for i in 0..<44 {
                var e = [Float](repeating: 0, count: 44)
                for j in 0..<44 { e[j] = Float(exp(Double((i * 31 + j * 17 + h * 7) % 23) / 4)) }
                let total = e.reduce(0, +)
                rows.append(e.map { $0 / total })
            }
            heads.append(rows)
        }
        let view = HeadView(title: "Long", queryTokens: tokens, keyTokens: tokens, heads: heads)
        #expect(view.resolvedTopK == 3)
        #expect(view.lines.count == 44 * 3)
        let size = view.preferredSize
        #expect(size.width / size.height > 1.5 && size.width / size.height < 2.0, "\(size)")
        #expect(HeadView(title: "", queryTokens: Self.tokens, keyTokens: Self.tokens, heads: Self.heads).resolvedTopK == nil)
    }

    @Test func highlightedQueryShowsOnlyItsOwnLines() throws {
        let view = HeadView(title: "Query 3", queryTokens: Self.tokens, keyTokens: Self.tokens, heads: Self.heads,
                            highlightQuery: 3)
        let image = try renderedImage(view)
        let frame = Rect(origin: .zero, size: view.preferredSize)
        let own = Self.midpoint(view.queryAnchor(3, in: frame), view.keyAnchor(0, in: frame))
        let other = Self.midpoint(view.queryAnchor(0, in: frame), view.keyAnchor(2, in: frame))
        #expect(somePixelNear(image, own, scale: 2, matches: view.color(ofHead: 1), tolerance: 6))
        #expect(channelDistance(image.pixel(at: other, scale: 2), .white) == 0, "query 0's line is hidden")
        // The per-head chip of key 0 is full head-2 colour; key 1's is white.
        let L = view.layout(TextMeasurer())
        let p = Placement(natural: L.size, in: frame)
        #expect(channelDistance(image.pixel(at: p.rect(L.chips[0][1]).center, scale: 2), view.color(ofHead: 1)) <= 1)
        #expect(channelDistance(image.pixel(at: p.rect(L.chips[1][1]).center, scale: 2), .white) <= 1)
    }

    @Test func paletteHasTwelveDistinctColours() {
        let palette = HeadView.headPalette
        #expect(palette.count >= 12)
        for i in palette.indices {
            for j in palette.indices where j > i {
                #expect(channelDistance(palette[i].bytes, palette[j]) >= 50, "\(palette[i]) vs \(palette[j])")
            }
            #expect(palette[i].contrastRatio(with: .white) >= 2, "\(palette[i]) is too pale for a line on white")
        }
        // Custom colours win; the palette cycles past 12 heads.
        let custom = HeadView(title: "", queryTokens: ["a"], keyTokens: ["a"], heads: [[[1]]], headColors: [.black])
        #expect(custom.color(ofHead: 0) == .black)
        #expect(custom.color(ofHead: 13) == palette[1])
    }

    @Test func layoutFitsWithTwelveHeadsAndAHighlight() {
        let heads = (0..<12).map { softmaxRows(11, 11, seed: $0) }
        for highlight in [nil, 7] as [Int?] {
            let view = HeadView(title: "Where does \"it\" look?", subtitle: "12 heads", queryTokens: sentence,
                                keyTokens: sentence, heads: heads, highlightQuery: highlight)
            let L = view.layout(TextMeasurer())
            let frame = Rect(origin: .zero, size: L.size)
            let problems = layoutProblems(L.texts, shapes: L.chips.flatMap { $0 }, frame: frame)
            #expect(problems.isEmpty, "\(problems.prefix(5))")
            for p in L.queryAnchors + L.keyAnchors { #expect(frame.contains(p)) }
        }
    }

    @Test func invalidInputsAreRejected() {
        let one: [[[Float]]] = [[[1, 0], [0, 1]]]
        let t = ["a", "b"]
        let cases: [(HeadView, String)] = [
            (HeadView(title: "", queryTokens: [], keyTokens: t, heads: one), "no queries"),
            (HeadView(title: "", queryTokens: t, keyTokens: [], heads: one), "no keys"),
            (HeadView(title: "", queryTokens: t, keyTokens: t, heads: []), "no heads"),
            (HeadView(title: "", queryTokens: t, keyTokens: t, heads: [[[1, 0], [1]]]), "ragged"),
            (HeadView(title: "", queryTokens: ["a"], keyTokens: t, heads: one), "query count"),
            (HeadView(title: "", queryTokens: t, keyTokens: ["a", "b", "c"], heads: one), "key count"),
            (HeadView(title: "", queryTokens: t, keyTokens: t, heads: one + one, headColors: [.black]), "colours"),
            (HeadView(title: "", queryTokens: t, keyTokens: t, heads: one, headLabels: ["x", "y"]), "labels"),
            (HeadView(title: "", queryTokens: t, keyTokens: t, heads: one, highlightQuery: 2), "highlight"),
            (HeadView(title: "", queryTokens: t, keyTokens: t, heads: [[[.nan, 0], [0, 1]]]), "NaN weight"),
        ]
        for (view, note) in cases { expectInvalidData(view, note) }
    }
}

@Suite("Query and key axis titles")
struct AttentionAxisTitleTests {
    /// The one placement every attention figure uses: "query" turned 90°, left of the row labels and
    /// centred on the rows; "key" upright, under the column labels and centred on the columns.
    static func expectQueryTitle(_ texts: [TextItem], beside grid: Rect, sourceLocation: SourceLocation = #_sourceLocation) {
        let m = TextMeasurer()
        // Grids side by side have their titles at one height: take the one just left of this grid.
        let candidates = texts.filter { $0.text == "query" && abs($0.bounds(m).midY - grid.midY) < 1
            && $0.bounds(m).maxX < grid.minX && $0.bounds(m).maxX > grid.minX - 150 }
        guard let title = candidates.first, candidates.count == 1 else {
            Issue.record("one \"query\" title centred on the rows of \(grid), found \(candidates.count)",
                         sourceLocation: sourceLocation)
            return
        }
        let box = title.bounds(m)
        #expect(title.rotation == 90 && box.height > box.width, "the query title runs along the rows", sourceLocation: sourceLocation)
        // This grid's row labels: right-aligned, the row-label gap left of it.
        let rowLabels = texts.filter { $0.alignment == .right && abs($0.at.x - (grid.minX - MatrixBlock.rowLabelGap)) < 0.01
            && $0.at.y > grid.minY && $0.at.y < grid.maxY }
        #expect(!rowLabels.isEmpty, "the grid has row labels", sourceLocation: sourceLocation)
        for label in rowLabels {
            #expect(box.maxX < label.bounds(m).minX, "\"query\" \(box) left of \"\(label.text)\"", sourceLocation: sourceLocation)
        }
    }

    static func expectKeyTitle(_ texts: [TextItem], under grid: Rect, sourceLocation: SourceLocation = #_sourceLocation) {
        let m = TextMeasurer()
        let candidates = texts.filter { $0.text == "key" && abs($0.bounds(m).midX - grid.midX) < 1
            && $0.bounds(m).minY > grid.maxY && $0.bounds(m).minY < grid.maxY + 150 }
        guard let title = candidates.first, candidates.count == 1 else {
            Issue.record("one \"key\" title centred under \(grid), found \(candidates.count)", sourceLocation: sourceLocation)
            return
        }
        let box = title.bounds(m)
        #expect(title.rotation == 0, sourceLocation: sourceLocation)
        // Under every column label of this grid.
        let columnLabels = texts.filter { $0.text != "key" && $0.bounds(m).minY >= grid.maxY - 0.5
            && $0.bounds(m).minY < box.minY && $0.at.x > grid.minX && $0.at.x < grid.maxX }
        #expect(!columnLabels.isEmpty, "the grid has column labels", sourceLocation: sourceLocation)
        for label in columnLabels {
            #expect(box.minY > label.bounds(m).maxY, "\"key\" \(box) under \"\(label.text)\"", sourceLocation: sourceLocation)
        }
    }

    @Test func headGridTitlesEveryPanelRowAndColumn() {
        let heads = (0..<4).map { softmaxRows(5, 5, seed: $0) }
        let grid = HeadGrid(title: "Four heads", heads: heads, rowLabels: englishTarget, columnLabels: englishTarget)
        let L = grid.layout(TextMeasurer())
        // 2 × 2 panels: "query" beside the left panels, "key" under the lower ones, nowhere else.
        #expect(L.texts.filter { $0.text == "query" }.count == 2)
        #expect(L.texts.filter { $0.text == "key" }.count == 2)
        for head in [0, 2] { Self.expectQueryTitle(L.texts, beside: L.grids[head]) }
        for head in [2, 3] { Self.expectKeyTitle(L.texts, under: L.grids[head]) }
        let problems = layoutProblems(L.texts, shapes: L.grids + [L.colorBarRect], frame: Rect(origin: .zero, size: L.size))
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    @Test func modelViewTitlesEveryLayerAndHeadWithOrWithoutTokenLabels() {
        let labelled = ModelView(title: "t", weights: ModelViewTests.weights, rowLabels: ModelViewTests.tokens,
                                 columnLabels: ModelViewTests.tokens)
        let many = (0..<24).map { "w\($0)" }
        let unlabelled = ModelView(title: "t", weights: [[softmaxRows(24, 24, seed: 2), softmaxRows(24, 24, seed: 3)]],
                                   rowLabels: many, columnLabels: many)
        for view in [labelled, unlabelled] {
            let L = view.layout(TextMeasurer())
            #expect(L.texts.filter { $0.text == "query" }.count == view.layerCount)
            #expect(L.texts.filter { $0.text == "key" }.count == view.headCount)
            for l in 0..<view.layerCount where L.showsTokens { Self.expectQueryTitle(L.texts, beside: L.thumbnails[l][0]) }
            for h in 0..<view.headCount where L.showsTokens { Self.expectKeyTitle(L.texts, under: L.thumbnails[view.layerCount - 1][h]) }
            let problems = layoutProblems(L.texts, shapes: L.thumbnails.flatMap { $0 } + [L.colorBarRect],
                                          frame: Rect(origin: .zero, size: L.size))
            #expect(problems.isEmpty, "\(problems.prefix(5))")
        }
        // Labelled thumbnails need no note saying what rows and columns are: the titles say it.
        #expect(!labelled.layout(TextMeasurer()).texts.contains { $0.text.contains("queries") })
    }

    @Test func aModelViewCanLabelEveryTokenOfALongInput() throws {
        let tokens = (0..<25).map { "w\($0)" }
        let heads = (0..<4).map { softmaxRows(25, 25, seed: $0) }
        let automatic = ModelView(title: "t", weights: [heads], rowLabels: tokens, columnLabels: tokens)
        let every = ModelView(title: "t", weights: [heads], rowLabels: tokens, columnLabels: tokens, labelsEveryToken: true)
        #expect(!automatic.showsTokenLabels)
        #expect(every.showsTokenLabels)
        let L = every.layout(TextMeasurer())
        for token in tokens { #expect(L.texts.filter { $0.text == token }.count == 1 + 4, "\(token): one row label, four column labels") }
        // Cells still carry their weights' colours at the larger size.
        let image = try renderedImage(every)
        let frame = Rect(origin: .zero, size: every.preferredSize)
        for (h, r, c) in [(0, 0, 0), (3, 24, 24), (2, 12, 7)] {
            let pixel = image.pixel(at: every.cellRect(layer: 0, head: h, row: r, column: c, in: frame).center, scale: 2)
            #expect(channelDistance(pixel, ColorMap.viridis.color(at: Double(heads[h][r][c]))) <= 1)
        }
    }

    @Test func maskPatternsCarryTheTitlesByDefault() {
        let mask = MaskPattern(title: "Causal", mask: causal(5), rowLabels: englishTarget, columnLabels: englishTarget)
        let L = mask.layout(TextMeasurer())
        Self.expectQueryTitle(L.texts, beside: L.grid)
        Self.expectKeyTitle(L.texts, under: L.grid)
    }

    @Test func everyComparisonBlockHasAKeyTitleAndRowsShareTheirQueryTitle() {
        let figure = ArchitectureComparisonTests.comparison()
        let L = figure.layout(TextMeasurer())
        for column in L.columns {
            for blocks in [column.maskBlocks, column.mapBlocks] {
                for (k, (block, origin)) in blocks.enumerated() {
                    let grid = block.grid(at: origin)
                    Self.expectKeyTitle(L.texts, under: grid)
                    // A block with the rows of its left neighbour (the cross block after the decoder
                    // block: both the target tokens) leans on that neighbour's labels and title.
                    let shares = k > 0 && block.rowLabels.isEmpty
                    if shares {
                        #expect(!L.texts.contains { $0.text == "query" && abs($0.bounds(TextMeasurer()).midY - grid.midY) < 1
                            && $0.at.x > blocks[k - 1].block.grid(at: blocks[k - 1].origin).maxX && $0.at.x < grid.minX })
                    } else {
                        Self.expectQueryTitle(L.texts, beside: grid)
                    }
                }
            }
        }
        // Sharing: the encoder-only column's second map (its rows are the first's), and the
        // encoder–decoder column's cross mask and map.
        let sharing = L.columns.map { ($0.maskBlocks + $0.mapBlocks).filter { $0.block.rowLabels.isEmpty }.count }
        #expect(sharing == [1, 0, 2])
    }
}
