import Foundation
import Testing
@testable import Figures

// MaskPattern, BlockDiagram and ArchitectureComparison.

/// A point inside `box` where its fill shows: just under the top edge, clear of the outline and the text.
func somePixelInBox(_ image: PNGImage, _ box: Rect, scale: Double, matches color: RGB, tolerance: Int = 1) -> Bool {
    let y = box.minY + 3.5
    for x in stride(from: box.minX + 8, through: box.maxX - 8, by: 4) {
        if channelDistance(image.pixel(at: Point(x: x, y: y), scale: scale), color) <= tolerance { return true }
    }
    return false
}

let chineseSource = ["我", "是", "一", "个", "学", "生"]
let englishTarget = ["<s>", "I", "am", "a", "student"]

func allVisible(_ rows: Int, _ columns: Int) -> [[Bool]] {
    [[Bool]](repeating: [Bool](repeating: true, count: columns), count: rows)
}

func causal(_ n: Int) -> [[Bool]] { (0..<n).map { i in (0..<n).map { $0 <= i } } }

@Suite("Mask pattern")
struct MaskPatternTests {
    @Test func visibleCellsAreColouredAndHiddenCellsAreGreyHatched() throws {
        let color = RGB(hex: 0x2166AC)
        let mask = MaskPattern(title: "Causal", mask: causal(5), rowLabels: englishTarget, columnLabels: englishTarget,
                               caption: "a token sees itself and the past", xAxisTitle: "key", yAxisTitle: "query")
        let image = try renderedImage(mask)
        #expect((image.width, image.height) == expectedPixels(mask))
        let frame = Rect(origin: .zero, size: mask.preferredSize)
        for r in 0..<5 {
            for c in 0..<5 {
                let cell = mask.cellRect(row: r, column: c, in: frame)
                let centre = image.pixel(at: cell.center, scale: 2)
                if c <= r {
                    #expect(channelDistance(centre, color) <= 1, "visible (\(r), \(c)): \(describe(centre))")
                } else {
                    #expect(channelDistance(centre, color) > 100, "hidden (\(r), \(c)) must not be the visible colour")
                    for (fx, fy) in [(0.2, 0.2), (0.5, 0.5), (0.8, 0.7)] {
                        let p = image.pixel(at: Point(x: cell.minX + fx * cell.width, y: cell.minY + fy * cell.height), scale: 2)
                        #expect(p.0 == p.1 && p.1 == p.2 && p.0 > 150, "hidden cell pixel \(describe(p)) is light grey")
                    }
                }
            }
        }
        // Cells are in reading order and `cellSize` wide.
        let a = mask.cellRect(row: 0, column: 0, in: frame), b = mask.cellRect(row: 0, column: 1, in: frame)
        #expect(abs((b.minX - a.minX) - 28) < 1e-9)
    }

    @Test func customColourAndPaddingColumns() throws {
        let orange = BlockDiagram.accentColor(for: .selfAttention)
        let padded = ["I", "love", "you", "[PAD]", "[PAD]"]
        let mask = MaskPattern(title: "Padding", mask: (0..<5).map { _ in (0..<5).map { $0 < 3 } }, rowLabels: padded,
                               columnLabels: padded, visibleColor: orange, cellSize: 20)
        let image = try renderedImage(mask, scale: 3)
        let frame = Rect(origin: .zero, size: mask.preferredSize)
        #expect(channelDistance(image.pixel(at: mask.cellRect(row: 4, column: 2, in: frame).center, scale: 3), orange) <= 1)
        #expect(channelDistance(image.pixel(at: mask.cellRect(row: 0, column: 3, in: frame).center, scale: 3), orange) > 100)
    }

    @Test func layoutFitsWithCJKAndALongCaption() {
        let mask = MaskPattern(title: "因果掩码", mask: causal(6), rowLabels: chineseSource, columnLabels: chineseSource,
                               caption: "lower triangle: every token sees itself and the tokens before it, never the future",
                               xAxisTitle: "key (the token looked at)", yAxisTitle: "query (the token looking)")
        let L = mask.layout(TextMeasurer())
        let frame = Rect(origin: .zero, size: L.size)
        let problems = layoutProblems(L.texts, shapes: [L.grid] + [L.visibleSwatch, L.hiddenSwatch].compactMap { $0 },
                                      frame: frame)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        let captionLines = L.texts.filter { $0.size == FigureStyle.labelSize && $0.color == FigureStyle.secondaryText }
        #expect(captionLines.count == 2, "the caption wraps onto two lines")
        for text in L.texts.map(\.text) + [mask.title] { #expect(missingGlyphCount(in: text) == 0, "\(text)") }
        // A tiny grid under a long x-axis title still keeps everything inside.
        let tiny = MaskPattern(title: "t", mask: [[true]], rowLabels: ["a"], columnLabels: ["b"],
                               xAxisTitle: "key: the token being looked at", yAxisTitle: "query: the token looking")
        let T = tiny.layout(TextMeasurer())
        let tinyProblems = layoutProblems(T.texts, shapes: [T.grid], frame: Rect(origin: .zero, size: T.size))
        #expect(tinyProblems.isEmpty, "\(tinyProblems)")
    }

    @Test func invalidMasksAreRejected() {
        let cases: [(MaskPattern, String)] = [
            (MaskPattern(title: "", mask: [], rowLabels: [], columnLabels: []), "empty"),
            (MaskPattern(title: "", mask: [[]], rowLabels: ["a"], columnLabels: []), "empty row"),
            (MaskPattern(title: "", mask: [[true, false], [true]], rowLabels: ["a", "b"], columnLabels: ["a", "b"]), "ragged"),
            (MaskPattern(title: "", mask: causal(2), rowLabels: ["a"], columnLabels: ["a", "b"]), "row labels"),
            (MaskPattern(title: "", mask: causal(2), rowLabels: ["a", "b"], columnLabels: ["a"]), "column labels"),
            (MaskPattern(title: "", mask: causal(2), rowLabels: ["a", "b"], columnLabels: ["a", "b"], cellSize: 0), "cell size"),
        ]
        for (mask, note) in cases { expectInvalidData(mask, note) }
    }
}

@Suite("Block diagram")
struct BlockDiagramTests {
    @Test func eachKindHasItsBoxesInTheirColours() throws {
        let expectations: [(BlockDiagram.Kind, [BlockDiagram.Box.Role: Int])] = [
            (.encoderOnly, [.selfAttention: 1, .maskedSelfAttention: 0, .crossAttention: 0, .feedForward: 1, .addAndNorm: 2]),
            (.decoderOnly, [.selfAttention: 0, .maskedSelfAttention: 1, .crossAttention: 0, .feedForward: 1, .addAndNorm: 2,
                            .outputLayer: 1]),
            (.encoderDecoder, [.selfAttention: 1, .maskedSelfAttention: 1, .crossAttention: 1, .feedForward: 2,
                               .addAndNorm: 5, .embedding: 2, .outputLayer: 1]),
        ]
        for (kind, counts) in expectations {
            let diagram = BlockDiagram(kind: kind, layers: 6, title: "Diagram")
            let image = try renderedImage(diagram)
            #expect((image.width, image.height) == expectedPixels(diagram))
            let frame = Rect(origin: .zero, size: diagram.preferredSize)
            let boxes = diagram.boxes(in: frame)
            for (role, count) in counts {
                #expect(boxes.filter { $0.role == role }.count == count, "\(kind): \(count) × \(role)")
            }
            for box in boxes {
                #expect(frame.contains(box.rect), "\(box.lines) inside the figure")
                #expect(somePixelInBox(image, box.rect, scale: 2, matches: BlockDiagram.fillColor(for: box.role)),
                        "\(kind): the \(box.role) box \(box.lines) is filled with its colour")
                for other in boxes where other.rect != box.rect { #expect(!box.rect.intersects(other.rect)) }
            }
            // Bottom to top: embedding below the first attention box, Add & Norm above it.
            let embedding = try #require(boxes.first { $0.role == .embedding })
            let attention = try #require(boxes.first { [.selfAttention, .maskedSelfAttention].contains($0.role) })
            #expect(embedding.rect.minY > attention.rect.maxY)
            for text in diagram.labels { #expect(missingGlyphCount(in: text) == 0, "\(text)") }
            #expect(diagram.labels.contains("6×"))
        }
    }

    @Test func theFourSublayerColoursAreDistinct() {
        let roles: [BlockDiagram.Box.Role] = [.selfAttention, .maskedSelfAttention, .crossAttention, .feedForward]
        for (i, a) in roles.enumerated() {
            for b in roles[(i + 1)...] {
                #expect(channelDistance(BlockDiagram.fillColor(for: a).bytes, BlockDiagram.fillColor(for: b)) >= 30)
                #expect(channelDistance(BlockDiagram.accentColor(for: a).bytes, BlockDiagram.accentColor(for: b)) >= 60)
            }
            // Dark text stays readable on every fill.
            #expect(BlockDiagram.fillColor(for: a).contrastRatio(with: FigureStyle.text) >= 7)
        }
    }

    @Test func crossAttentionSitsInTheDecoderStackRightOfTheEncoder() {
        let diagram = BlockDiagram(kind: .encoderDecoder, layers: 6)
        let boxes = diagram.boxes(in: Rect(origin: .zero, size: diagram.preferredSize))
        let encoder = boxes.first { $0.role == .selfAttention }!.rect
        let masked = boxes.first { $0.role == .maskedSelfAttention }!.rect
        let cross = boxes.first { $0.role == .crossAttention }!.rect
        #expect(cross.minX > encoder.maxX && abs(cross.minX - masked.minX) < 1e-9)
        #expect(cross.maxY < masked.minY, "cross-attention above masked self-attention")
    }

    @Test func textStaysClearOfBoxesAndInsideTheFigure() {
        for kind in [BlockDiagram.Kind.encoderOnly, .decoderOnly, .encoderDecoder] {
            let diagram = BlockDiagram(kind: kind, layers: 12, title: "一个标题 and a title")
            let L = diagram.layout(margin: FigureStyle.margin, TextMeasurer())
            let problems = layoutProblems(L.texts, shapes: L.boxes.map(\.rect), frame: Rect(origin: .zero, size: L.size))
            #expect(problems.isEmpty, "\(kind): \(problems.prefix(5))")
            // Every box's text fits inside the box.
            let m = TextMeasurer()
            for box in L.boxes {
                // The name at 13 pt, the note under it at the tick size (12 pt: readable on a slide).
                for (line, size) in zip(box.lines, [FigureStyle.labelSize, FigureStyle.tickSize]) {
                    #expect(m.width(line, size: size) <= box.rect.width - 12, "\(line)")
                }
            }
        }
    }

    @Test func zeroLayersAreRejected() {
        expectInvalidData(BlockDiagram(kind: .encoderOnly, layers: 0), "no layers")
    }
}

@Suite("Architecture comparison")
struct ArchitectureComparisonTests {
    typealias Map = ArchitectureComparison.Map

    static func comparison() -> ArchitectureComparison {
        let src = chineseSource, tgt = englishTarget
        let future: (Int, Int) -> Bool = { $1 > $0 }
        func causalRows(_ n: Int, seed: Int) -> [[Float]] {
            softmaxRows(n, n, seed: seed).enumerated().map { i, row in
                let kept = row.enumerated().map { future(i, $0.offset) ? 0 : $0.element }
                let z = kept.reduce(0, +)
                return kept.map { $0 / z }
            }
        }
        return ArchitectureComparison(
            title: "One sentence, three architectures: 我 是 一 个 学 生 → <s> I am a student",
            subtitle: "diagram, mask and attention weights per architecture",
            columns: [
                .init(title: "Encoder-only (BERT)", caption: "every token sees every token",
                      diagram: BlockDiagram(kind: .encoderOnly, layers: 2),
                      masks: [(title: "bidirectional", mask: allVisible(6, 6), rowLabels: src, columnLabels: src)],
                      maps: [Map(title: "layer 1", values: softmaxRows(6, 6, seed: 1), rowLabels: src, columnLabels: src),
                             Map(title: "layer 2", values: softmaxRows(6, 6, seed: 2), rowLabels: src, columnLabels: src)]),
                .init(title: "Decoder-only (GPT)", caption: "a token sees itself and the past",
                      diagram: BlockDiagram(kind: .decoderOnly, layers: 2),
                      masks: [(title: "causal", mask: causal(5), rowLabels: tgt, columnLabels: tgt)],
                      maps: [Map(title: "layer 1", values: causalRows(5, seed: 3), rowLabels: tgt, columnLabels: tgt)]),
                .init(title: "Encoder–decoder (T5)",
                      caption: "the decoder writes the target and looks back at the source through cross-attention",
                      diagram: BlockDiagram(kind: .encoderDecoder, layers: 2),
                      masks: [(title: "encoder", mask: allVisible(6, 6), rowLabels: src, columnLabels: src),
                              (title: "decoder", mask: causal(5), rowLabels: tgt, columnLabels: tgt),
                              (title: "cross", mask: allVisible(5, 6), rowLabels: tgt, columnLabels: src)],
                      maps: [Map(title: "encoder self", values: softmaxRows(6, 6, seed: 4), rowLabels: src, columnLabels: src),
                             Map(title: "decoder self", values: causalRows(5, seed: 5), rowLabels: tgt, columnLabels: tgt),
                             Map(title: "cross", values: [[0, 0.25, 0.5, 0.75, 1, 0]] + softmaxRows(4, 6, seed: 6),
                                 rowLabels: tgt, columnLabels: src)]),
            ])
    }

    @Test func rendersWithBoxesMasksAndMapsInTheirColours() throws {
        let figure = Self.comparison()
        let image = try renderedImage(figure)
        #expect((image.width, image.height) == expectedPixels(figure))
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        // Self-attention in the encoder-only column, masked self-attention in the decoder-only one,
        // cross-attention in the encoder–decoder one, each in its colour.
        for (column, role) in [(0, BlockDiagram.Box.Role.selfAttention), (1, .maskedSelfAttention), (2, .crossAttention)] {
            let box = try #require(figure.boxes(column: column, in: frame).first { $0.role == role })
            #expect(figure.diagramRect(column: column, in: frame).contains(box.rect))
            #expect(somePixelInBox(image, box.rect, scale: 2, matches: BlockDiagram.fillColor(for: role)),
                    "column \(column): \(role) box")
        }
        // The first row of the cross map: 0, 0.25, 0.5, 0.75, 1 on the shared viridis scale.
        for (key, t) in [(0, 0.0), (1, 0.25), (2, 0.5), (3, 0.75), (4, 1.0)] {
            let pixel = image.pixel(at: figure.mapCellRect(column: 2, map: 2, query: 0, key: key, in: frame).center, scale: 2)
            #expect(channelDistance(pixel, ColorMap.viridis.color(at: t)) <= 1, "cross map key \(key): \(describe(pixel))")
        }
        // Masks: the decoder-only causal mask shows the future hidden.
        let visible = image.pixel(at: figure.maskCellRect(column: 1, mask: 0, query: 2, key: 1, in: frame).center, scale: 2)
        let hidden = image.pixel(at: figure.maskCellRect(column: 1, mask: 0, query: 1, key: 2, in: frame).center, scale: 2)
        #expect(channelDistance(visible, RGB(hex: 0x2166AC)) <= 1)
        #expect(hidden.0 == hidden.1 && hidden.1 == hidden.2 && hidden.0 > 150)
    }

    /// Without its diagrams (lesson 8's masks slide) the comparison draws no block: no box colour
    /// anywhere, the masks start right under the headings, the figure is shorter by the diagram
    /// row, and with one row left it names no row in the margin (its title says what it shows).
    @Test func withoutDiagramsTheMasksMoveUpAndNoBoxIsDrawn() throws {
        var masksOnly = Self.comparison()
        masksOnly.showsDiagrams = false
        masksOnly.columns = masksOnly.columns.map { var c = $0; c.maps = []; return c }
        let full = Self.comparison()
        let fullFrame = Rect(origin: .zero, size: full.preferredSize)
        let frame = Rect(origin: .zero, size: masksOnly.preferredSize)
        let diagramHeight = full.diagramRect(column: 2, in: fullFrame).height
        #expect(frame.height < fullFrame.height - diagramHeight)
        let top = masksOnly.maskCellRect(column: 0, mask: 0, query: 0, key: 0, in: frame).minY
        let fullTop = full.maskCellRect(column: 0, mask: 0, query: 0, key: 0, in: fullFrame).minY
        #expect(abs((fullTop - top) - (diagramHeight + 28)) < 1e-6, "masks at \(top), in the full figure at \(fullTop)")
        let image = try renderedImage(masksOnly)
        let fills = [BlockDiagram.Box.Role.selfAttention, .maskedSelfAttention, .crossAttention].map(BlockDiagram.fillColor)
        var boxPixels = 0
        for y in stride(from: 0, to: image.height, by: 3) {
            for x in stride(from: 0, to: image.width, by: 3) where fills.contains(where: { channelDistance(image.pixel(x: x, y: y), $0) <= 1 }) {
                boxPixels += 1
            }
        }
        #expect(boxPixels == 0)
        // The same scan finds the boxes in the full figure.
        let fullImage = try renderedImage(full)
        #expect(stride(from: 0, to: fullImage.height, by: 3).contains { y in
            stride(from: 0, to: fullImage.width, by: 3).contains { x in channelDistance(fullImage.pixel(x: x, y: y), fills[2]) <= 1 }
        })
        #expect(!masksOnly.labels.contains("masks: who may see whom"))
        #expect(full.labels.contains("masks: who may see whom"))
    }

    @Test func rowsLineUpAcrossColumnsAndColumnsReadLeftToRight() {
        let figure = Self.comparison()
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        let diagrams = (0..<3).map { figure.diagramRect(column: $0, in: frame) }
        #expect(diagrams[0].maxX < diagrams[1].minX && diagrams[1].maxX < diagrams[2].minX)
        // Diagrams stand on one line; masks all start below the lowest diagram; maps below the lowest mask.
        #expect(abs(diagrams[0].maxY - diagrams[2].maxY) < 1e-9 && abs(diagrams[1].maxY - diagrams[2].maxY) < 1e-9)
        let maskTops = [(0, 0), (1, 0), (2, 2)].map { figure.maskCellRect(column: $0.0, mask: $0.1, query: 0, key: 0, in: frame).minY }
        #expect(maskTops.allSatisfy { $0 > diagrams.map(\.maxY).max()! })
        let lowestMask = [(0, 0, 5), (1, 0, 4), (2, 0, 5)].map {
            figure.maskCellRect(column: $0.0, mask: $0.1, query: $0.2, key: 0, in: frame).maxY
        }.max()!
        #expect(figure.mapCellRect(column: 1, map: 0, query: 0, key: 0, in: frame).minY > lowestMask)
        // Same cell size for masks and maps, so a map matches its mask.
        let maskCell = figure.maskCellRect(column: 0, mask: 0, query: 0, key: 0, in: frame)
        let mapCell = figure.mapCellRect(column: 0, map: 0, query: 0, key: 0, in: frame)
        #expect(abs(maskCell.width - mapCell.width) < 1e-9)
    }

    @Test func everythingFitsAndChineseHasGlyphs() {
        let figure = Self.comparison()
        let L = figure.layout(TextMeasurer())
        let frame = Rect(origin: .zero, size: L.size)
        var shapes: [Rect] = L.columns.map(\.diagramRect)
        for c in L.columns {
            shapes += c.maskBlocks.map { $0.block.grid(at: $0.origin) } + c.mapBlocks.map { $0.block.grid(at: $0.origin) }
        }
        shapes += [L.colorBarRect, L.visibleSwatch, L.hiddenSwatch].compactMap { $0 }
        let problems = layoutProblems(L.texts, shapes: shapes, frame: frame)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        for (i, s) in shapes.enumerated() {
            #expect(frame.contains(s))
            for t in shapes[(i + 1)...] { #expect(!s.intersects(t), "\(s) overlaps \(t)") }
        }
        for text in figure.labels + figure.columns.flatMap(\.diagram.labels) {
            #expect(missingGlyphCount(in: text) == 0, "\(text)")
        }
        #expect(figure.labels.contains("我") && figure.labels.contains("<s>"))
        // Captions take at most two lines.
        for c in L.columns { #expect(c.headingTexts.count <= 3) }
    }

    @Test func invalidColumnsAreRejected() {
        let good = Self.comparison()
        var noColumns = good
        noColumns.columns = []
        var raggedMap = good
        raggedMap.columns[0].maps[0].values[2] = [0.5]
        var mapLabels = good
        mapLabels.columns[2].maps[2].columnLabels = ["x"]
        var maskLabels = good
        maskLabels.columns[1].masks[0].rowLabels.removeLast()
        var emptyMask = good
        emptyMask.columns[0].masks[0].mask = []
        var noLayers = good
        noLayers.columns[1].diagram = BlockDiagram(kind: .decoderOnly, layers: 0)
        var range = good
        range.valueRange = 0.5...0.5
        for (figure, note) in [(noColumns, "no columns"), (raggedMap, "ragged map"), (mapLabels, "map labels"),
                               (maskLabels, "mask labels"), (emptyMask, "empty mask"), (noLayers, "diagram"),
                               (range, "range")] {
            expectInvalidData(figure, note)
        }
    }

    @Test func renderingIsDeterministic() throws {
        let figure = Self.comparison()
        let a = try renderPNGData(figure), b = try renderPNGData(figure)
        #expect(a.count > 10_000)
        #expect(a == b)
    }
}
