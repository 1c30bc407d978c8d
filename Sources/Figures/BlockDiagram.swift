import Foundation
import Localization

/// The block diagram of one Transformer architecture, simplified from the original paper's figure:
/// rounded boxes and arrows, read bottom to top. Inputs → embedding → ⊕ positional encoding → an "N×"
/// frame around the repeated layer (each sub-layer followed by Add & Norm, with its residual connection)
/// → output.
///
/// - `encoderOnly` (BERT): bidirectional multi-head self-attention and feed-forward; output "hidden
///   states / [MASK] predictions".
/// - `decoderOnly` (GPT): the same stack with masked (causal) self-attention, then Linear + softmax;
///   output "next-token probabilities".
/// - `encoderDecoder` (the original Transformer, T5): the encoder stack on the left, the decoder stack on
///   the right (masked self-attention, cross-attention fed by an arrow from the encoder output,
///   feed-forward), then Linear + softmax and "next-token probabilities".
///
/// Colours mean the same in every diagram: self-attention orange, masked self-attention purple,
/// cross-attention green, feed-forward blue, Add & Norm yellow, embeddings and the output layer grey.
public struct BlockDiagram: Chart, Sendable {
    /// Which architecture to draw: BERT-like, GPT-like or the original encoder-decoder.
    public enum Kind: Sendable { case encoderOnly, decoderOnly, encoderDecoder }

    /// One box of the diagram and where it is drawn.
    public struct Box: Sendable, Equatable {
        /// What a box stands for; it decides the box's colour.
        public enum Role: Sendable, CaseIterable {
            case embedding, selfAttention, maskedSelfAttention, crossAttention, feedForward, addAndNorm, outputLayer
        }
        /// What the box stands for.
        public var role: Role
        /// The text in the box: a name and, for sub-layers, a note such as "(causal)".
        public var lines: [String]
        /// Where the box is drawn, in the diagram's own units.
        public var rect: Rect
    }

    /// The architecture drawn.
    public var kind: Kind
    /// N, the number of identical layers in each stack (printed as "N×").
    public var layers: Int
    /// The heading above the figure (also the PNG's "Title").
    public var title: String

    /// A diagram of `kind` with `layers` as its "N×".
    public init(kind: Kind, layers: Int, title: String = "") {
        self.kind = kind
        self.layers = layers
        self.title = title
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard layers >= 1 else { throw FigureError.invalidData("a block diagram needs at least 1 layer (got \(layers))") }
    }

    /// The light fill of a box.
    public static func fillColor(for role: Box.Role) -> RGB {
        switch role {
        case .selfAttention: return RGB(hex: 0xFCD9A8)
        case .maskedSelfAttention: return RGB(hex: 0xD4C0EE)
        case .crossAttention: return RGB(hex: 0xCBE8C3)
        case .feedForward: return RGB(hex: 0xC6E2F5)
        case .addAndNorm: return RGB(hex: 0xF4F1BB)
        case .embedding, .outputLayer: return RGB(hex: 0xE8E8E8)
        }
    }

    /// The saturated colour of a role: box outlines, and a good colour for the matching mask pattern.
    public static func accentColor(for role: Box.Role) -> RGB {
        switch role {
        case .selfAttention: return RGB(hex: 0xD9822B)
        case .maskedSelfAttention: return RGB(hex: 0x7E5DB5)
        case .crossAttention: return RGB(hex: 0x4C9A43)
        case .feedForward: return RGB(hex: 0x3F84C0)
        case .addAndNorm: return RGB(hex: 0xB3A634)
        case .embedding, .outputLayer: return RGB(hex: 0x9A9A9A)
        }
    }

    // MARK: Content

    private struct Sublayer {
        var role: Box.Role
        var name: String
        var note: String
    }

    private struct Stack {
        var name: String
        var input: String
        var embedding: String
        var sublayers: [Sublayer]
        var head: String?
        var output: String?
        /// Residual lines, the positional-encoding label and the "N×" label go on this side.
        var leftSide: Bool
    }

    private static var selfAttention: Sublayer { Sublayer(role: .selfAttention, name: localized("Multi-head self-attention"),
                                                note: localized("(bidirectional)")) }
    private static var maskedSelfAttention: Sublayer { Sublayer(role: .maskedSelfAttention, name: localized("Masked multi-head self-attention"),
                                                      note: localized("(causal)")) }
    private static var crossAttention: Sublayer { Sublayer(role: .crossAttention, name: localized("Multi-head cross-attention"),
                                                 note: localized("(Q from decoder, K, V from encoder)")) }
    private static var feedForward: Sublayer { Sublayer(role: .feedForward, name: localized("Feed-forward"), note: localized("(each position)")) }
    private static var addAndNorm: String { localized("Add & Norm") }
    private static var outputLayer: String { localized("Linear + softmax") }

    private var stacks: [Stack] {
        switch kind {
        case .encoderOnly:
            return [Stack(name: localized("encoder layer"), input: localized("Inputs"), embedding: localized("Input embedding"),
                          sublayers: [Self.selfAttention, Self.feedForward], head: nil,
                          output: localized("hidden states / [MASK] predictions"), leftSide: true)]
        case .decoderOnly:
            return [Stack(name: localized("decoder layer"), input: localized("Inputs (the tokens so far)"), embedding: localized("Input embedding"),
                          sublayers: [Self.maskedSelfAttention, Self.feedForward], head: Self.outputLayer,
                          output: localized("next-token probabilities"), leftSide: true)]
        case .encoderDecoder:
            return [Stack(name: localized("encoder layer"), input: localized("Inputs (source)"), embedding: localized("Input embedding"),
                          sublayers: [Self.selfAttention, Self.feedForward], head: nil, output: nil, leftSide: true),
                    Stack(name: localized("decoder layer"), input: localized("Outputs (shifted right)"), embedding: localized("Output embedding"),
                          sublayers: [Self.maskedSelfAttention, Self.crossAttention, Self.feedForward],
                          head: Self.outputLayer, output: localized("next-token probabilities"), leftSide: false)]
        }
    }

    // MARK: Layout

    private enum Geometry {
        static let nameSize = FigureStyle.labelSize
        static let noteSize = FigureStyle.tickSize
        static let boxPadX = 14.0
        static let boxPadY = 6.0
        static let minBoxWidth = 200.0
        static let singleHeight = 30.0
        static let addNormHeight = 24.0
        static let innerGap = 26.0
        static let framePadTop = 28.0
        static let framePadBottom = 30.0
        static let framePadSide = 26.0
        static let outerArrow = 22.0
        static let plusRadius = 9.0
        static let iconRadius = 9.0
        static let stackGap = 80.0
        static let nLabelSize = 16.0
        static let sideTextSize = FigureStyle.tickSize
        static let radius = 6.0
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        var boxes: [Box]
        var frames: [Rect]
        var arrows: [(Point, Point)]
        /// Polylines ending in an arrow head (residual connections, the encoder → decoder connector).
        var paths: [[Point]]
        var dots: [Point]
        var plusCircles: [Point]
        var waveIcons: [Point]
        var texts: [TextItem]

        func offsetBy(dx: Double, dy: Double) -> Layout {
            var l = self
            let p = { (q: Point) in Point(x: q.x + dx, y: q.y + dy) }
            l.boxes = boxes.map { var b = $0; b.rect = b.rect.offsetBy(dx: dx, dy: dy); return b }
            l.frames = frames.map { $0.offsetBy(dx: dx, dy: dy) }
            l.arrows = arrows.map { (p($0.0), p($0.1)) }
            l.paths = paths.map { $0.map(p) }
            l.dots = dots.map(p)
            l.plusCircles = plusCircles.map(p)
            l.waveIcons = waveIcons.map(p)
            l.texts = texts.map { $0.offsetBy(dx: dx, dy: dy) }
            return l
        }

        /// The bounds of everything drawn.
        func inkBounds(_ m: TextMeasurer) -> Rect? {
            var rects = boxes.map(\.rect) + frames + texts.map { $0.bounds(m) }
            rects += plusCircles.map { Rect(x: $0.x - Geometry.plusRadius, y: $0.y - Geometry.plusRadius,
                                            width: 2 * Geometry.plusRadius, height: 2 * Geometry.plusRadius) }
            rects += waveIcons.map { Rect(x: $0.x - Geometry.iconRadius, y: $0.y - Geometry.iconRadius,
                                          width: 2 * Geometry.iconRadius, height: 2 * Geometry.iconRadius) }
            for path in paths + arrows.map({ [$0.0, $0.1] }) {
                for q in path { rects.append(Rect(x: q.x - 4, y: q.y - 4, width: 8, height: 8)) }
            }
            guard let first = rects.first else { return nil }
            return rects.dropFirst().reduce(first) { $0.union($1) }
        }
    }

    private func boxWidth(_ m: TextMeasurer) -> Double {
        var widest = 0.0
        for stack in stacks {
            for s in stack.sublayers {
                widest = max(widest, m.width(s.name, size: Geometry.nameSize), m.width(s.note, size: Geometry.noteSize))
            }
            widest = max(widest, m.width(stack.embedding, size: Geometry.nameSize))
        }
        widest = max(widest, m.width(Self.addAndNorm, size: Geometry.nameSize), m.width(Self.outputLayer, size: Geometry.nameSize))
        return max(Geometry.minBoxWidth, widest + 2 * Geometry.boxPadX)
    }

    private func sublayerHeight(_ m: TextMeasurer) -> Double {
        m.lineHeight(size: Geometry.nameSize) + m.lineHeight(size: Geometry.noteSize) + 2 * Geometry.boxPadY + 2
    }

    /// One stack with its bottom (the input label's bottom) at y = 0, centred on x = 0.
    private func stackLayout(_ stack: Stack, _ m: TextMeasurer) -> (layout: Layout, exit: Point, cross: Rect?) {
        let w = boxWidth(m)
        let subH = sublayerHeight(m)
        let side: Double = stack.leftSide ? -1 : 1
        var boxes: [Box] = [], arrows: [(Point, Point)] = [], paths: [[Point]] = [], dots: [Point] = []
        var texts: [TextItem] = []
        func box(_ role: Box.Role, _ lines: [String], bottom: Double, height: Double) -> Rect {
            let r = Rect(x: -w / 2, y: bottom - height, width: w, height: height)
            boxes.append(Box(role: role, lines: lines, rect: r))
            return r
        }

        // Input label, embedding, ⊕ positional encoding.
        let inputHeight = m.lineHeight(stack.input, size: Geometry.nameSize)
        texts.append(TextItem(text: stack.input, at: Point(x: 0, y: 0), size: Geometry.nameSize,
                              color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .bottom))
        let embedding = box(.embedding, [stack.embedding], bottom: -inputHeight - Geometry.outerArrow,
                            height: Geometry.singleHeight)
        arrows.append((Point(x: 0, y: -inputHeight - 2), Point(x: 0, y: embedding.maxY)))
        let plus = Point(x: 0, y: embedding.minY - 18 - Geometry.plusRadius)
        arrows.append((Point(x: 0, y: embedding.minY), Point(x: 0, y: plus.y + Geometry.plusRadius)))
        let icon = Point(x: side * (Geometry.plusRadius + 22 + Geometry.iconRadius), y: plus.y)
        arrows.append((Point(x: icon.x - side * Geometry.iconRadius, y: plus.y),
                       Point(x: side * Geometry.plusRadius, y: plus.y)))
        texts.append(TextItem(text: localized("positional encoding"), at: Point(x: icon.x + side * (Geometry.iconRadius + 6), y: plus.y),
                              size: Geometry.sideTextSize, color: FigureStyle.secondaryText,
                              alignment: stack.leftSide ? .right : .left, verticalAlignment: .middle))

        // The repeated layer inside its frame.
        let frameBottom = plus.y - Geometry.plusRadius - 14
        var bottom = frameBottom - Geometry.framePadBottom
        var below = Point(x: 0, y: plus.y - Geometry.plusRadius)   // where the arrow into the next box starts
        var cross: Rect? = nil
        var lastTop = bottom
        let residualX = side * (w / 2 + Geometry.framePadSide / 2)
        for (i, s) in stack.sublayers.enumerated() {
            let sub = box(s.role, [s.name, s.note], bottom: bottom, height: subH)
            arrows.append((below, Point(x: 0, y: sub.maxY)))
            if s.role == .crossAttention { cross = sub }
            let norm = box(.addAndNorm, [Self.addAndNorm], bottom: sub.minY - Geometry.innerGap, height: Geometry.addNormHeight)
            arrows.append((Point(x: 0, y: sub.minY), Point(x: 0, y: norm.maxY)))
            // Residual: branch off below the sub-layer, around it, into Add & Norm.
            let branchY = sub.maxY + (i == 0 ? Geometry.framePadBottom - 10 : Geometry.innerGap - 10)
            dots.append(Point(x: 0, y: branchY))
            paths.append([Point(x: 0, y: branchY), Point(x: residualX, y: branchY), Point(x: residualX, y: norm.midY),
                          Point(x: side * w / 2, y: norm.midY)])
            below = Point(x: 0, y: norm.minY)
            bottom = norm.minY - Geometry.innerGap
            lastTop = norm.minY
        }
        let frameTop = lastTop - Geometry.framePadTop
        let frame = Rect(x: -w / 2 - Geometry.framePadSide, y: frameTop, width: w + 2 * Geometry.framePadSide,
                         height: frameBottom - frameTop)
        texts.append(TextItem(text: stack.name, at: Point(x: frame.minX + 10, y: frameTop + 6), size: Geometry.sideTextSize,
                              color: FigureStyle.secondaryText, verticalAlignment: .top))
        let nText = "\(layers)×"
        texts.append(TextItem(text: nText, at: Point(x: side * (frame.width / 2 + 10), y: frame.midY), size: Geometry.nLabelSize,
                              weight: .bold, alignment: stack.leftSide ? .right : .left, verticalAlignment: .middle))

        // Above the frame: the output layer and the output label.
        var top = frameTop
        let exit = Point(x: 0, y: lastTop)
        if let head = stack.head {
            let h = box(.outputLayer, [head], bottom: frameTop - Geometry.outerArrow, height: Geometry.singleHeight)
            arrows.append((exit, Point(x: 0, y: h.maxY)))
            top = h.minY
            below = Point(x: 0, y: h.minY)
        } else {
            below = exit
        }
        if let output = stack.output {
            let labelBottom = top - Geometry.outerArrow
            arrows.append((below, Point(x: 0, y: labelBottom + 2)))
            texts.append(TextItem(text: output, at: Point(x: 0, y: labelBottom), size: Geometry.nameSize, weight: .bold,
                                  alignment: .center, verticalAlignment: .bottom))
        }
        let layout = Layout(size: .zero, titleTop: 0, boxes: boxes, frames: [frame], arrows: arrows, paths: paths,
                            dots: dots, plusCircles: [plus], waveIcons: [icon], texts: texts)
        return (layout, exit, cross)
    }

    /// The diagram with its ink starting at (`margin`, `margin` + title).
    func layout(margin: Double, _ m: TextMeasurer) -> Layout {
        let specs = stacks
        var parts: [(layout: Layout, exit: Point, cross: Rect?)] = specs.map { stackLayout($0, m) }
        var combined = parts[0].layout
        if parts.count == 2 {
            // Decoder to the right of the encoder, bottoms aligned.
            let w = boxWidth(m)
            let dx = w + 2 * Geometry.framePadSide + Geometry.stackGap
            parts[1].layout = parts[1].layout.offsetBy(dx: dx, dy: 0)
            let decoder = parts[1].layout
            combined.boxes += decoder.boxes
            combined.frames += decoder.frames
            combined.arrows += decoder.arrows
            combined.paths += decoder.paths
            combined.dots += decoder.dots
            combined.plusCircles += decoder.plusCircles
            combined.waveIcons += decoder.waveIcons
            combined.texts += decoder.texts
            if let cross = parts[1].cross?.offsetBy(dx: dx, dy: 0) {
                // Encoder output: up out of the encoder frame, across, into the cross-attention box.
                let encoderFrame = parts[0].layout.frames[0]
                let exit = parts[0].exit
                let upY = encoderFrame.minY - 18
                let midX = encoderFrame.maxX + Geometry.stackGap / 2
                combined.paths.append([exit, Point(x: exit.x, y: upY), Point(x: midX, y: upY), Point(x: midX, y: cross.midY),
                                       Point(x: cross.minX, y: cross.midY)])
                combined.texts.append(TextItem(text: localized("encoder output"), at: Point(x: (exit.x + midX) / 2, y: upY - 4),
                                               size: Geometry.sideTextSize, color: FigureStyle.secondaryText,
                                               alignment: .center, verticalAlignment: .bottom))
                combined.texts.append(TextItem(text: "K, V", at: Point(x: (midX + cross.minX) / 2, y: cross.midY - 4),
                                               size: Geometry.sideTextSize, color: FigureStyle.secondaryText,
                                               alignment: .center, verticalAlignment: .bottom))
            }
        }
        // Move the ink to the margins, under the title.
        let titles = TitleBlock(title: title, subtitle: "")
        let ink = combined.inkBounds(m) ?? Rect(x: 0, y: 0, width: 1, height: 1)
        let titleHeight = titles.height(m)
        var width = ink.width + 2 * margin
        let titleWidth = titles.width(m) + 2 * margin
        let extra = max(0, titleWidth - width) / 2
        width = max(width, titleWidth)
        var result = combined.offsetBy(dx: margin + extra - ink.minX, dy: margin + titleHeight - ink.minY)
        result.size = Size(width: width.rounded(.up), height: (ink.height + 2 * margin + titleHeight).rounded(.up))
        result.titleTop = margin
        return result
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(margin: FigureStyle.margin, TextMeasurer()).size }

    /// Every box and where it is drawn inside `frame` (for tests and for pointing at parts of the diagram).
    public func boxes(in frame: Rect) -> [Box] {
        boxes(in: frame, margin: FigureStyle.margin)
    }

    func boxes(in frame: Rect, margin: Double) -> [Box] {
        let L = layout(margin: margin, TextMeasurer())
        let p = Placement(natural: L.size, in: frame)
        return L.boxes.map { var b = $0; b.rect = p.rect(b.rect); return b }
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        try draw(on: canvas, in: frame, margin: FigureStyle.margin)
        try canvas.checkStatus("draw block diagram")
    }

    /// Draws with a chosen outer margin (ArchitectureComparison uses 0).
    func draw(on canvas: Canvas, in frame: Rect, margin: Double) throws {
        let m = TextMeasurer()
        let L = layout(margin: margin, m)
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            if !title.isEmpty {
                TitleBlock(title: title, subtitle: "").draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            }
            for f in L.frames {
                canvas.roundedRect(f, radius: 10, fill: RGB(hex: 0xF5F5F5), stroke: RGB(hex: 0xBBBBBB), strokeWidth: 1)
            }
            let ink = FigureStyle.axis
            for path in L.paths where path.count >= 2 {
                canvas.polyline(Array(path.dropLast()), color: ink, width: 1.2)
                canvas.arrow(from: path[path.count - 2], to: path[path.count - 1], color: ink, width: 1.2,
                             headLength: 7, headWidth: 6)
            }
            for (a, b) in L.arrows {
                canvas.arrow(from: a, to: b, color: ink, width: 1.4, headLength: 8, headWidth: 7)
            }
            for d in L.dots { canvas.circle(center: d, radius: 2.5, fill: ink) }
            for b in L.boxes {
                canvas.roundedRect(b.rect, radius: Geometry.radius, fill: Self.fillColor(for: b.role),
                                   stroke: Self.accentColor(for: b.role), strokeWidth: 1.2)
                drawBoxText(b, on: canvas, m)
            }
            for c in L.plusCircles {
                let r = Geometry.plusRadius
                canvas.circle(center: c, radius: r, fill: .white, stroke: ink, strokeWidth: 1.2)
                canvas.line(from: Point(x: c.x - r * 0.6, y: c.y), to: Point(x: c.x + r * 0.6, y: c.y), color: ink, width: 1.2)
                canvas.line(from: Point(x: c.x, y: c.y - r * 0.6), to: Point(x: c.x, y: c.y + r * 0.6), color: ink, width: 1.2)
            }
            for c in L.waveIcons {
                let r = Geometry.iconRadius
                canvas.circle(center: c, radius: r, fill: .white, stroke: ink, strokeWidth: 1.2)
                let wave = (0...16).map { i -> Point in
                    let t = Double(i) / 16
                    return Point(x: c.x - r * 0.65 + t * r * 1.3, y: c.y - sin(t * 2 * .pi) * r * 0.4)
                }
                canvas.polyline(wave, color: ink, width: 1.1)
            }
            for item in L.texts { item.draw(on: canvas) }
        }
    }

    private func drawBoxText(_ b: Box, on canvas: Canvas, _ m: TextMeasurer) {
        guard let name = b.lines.first else { return }
        if b.lines.count == 1 {
            canvas.text(name, at: b.rect.center, size: Geometry.nameSize, color: FigureStyle.text, alignment: .center,
                        verticalAlignment: .middle)
            return
        }
        let h1 = m.lineHeight(size: Geometry.nameSize), h2 = m.lineHeight(size: Geometry.noteSize)
        let top = b.rect.midY - (h1 + 2 + h2) / 2
        canvas.text(name, at: Point(x: b.rect.midX, y: top), size: Geometry.nameSize, color: FigureStyle.text,
                    alignment: .center, verticalAlignment: .top)
        canvas.text(b.lines[1], at: Point(x: b.rect.midX, y: top + h1 + 2), size: Geometry.noteSize,
                    color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
    }

    /// Every string the diagram draws (to check glyph coverage).
    public var labels: [String] {
        let m = TextMeasurer()
        let L = layout(margin: FigureStyle.margin, m)
        return (title.isEmpty ? [] : [title]) + L.texts.map(\.text) + L.boxes.flatMap(\.lines)
    }
}
