import CCairo
import Foundation

public enum HorizontalAlignment: Sendable { case left, center, right }
public enum VerticalAlignment: Sendable {
    /// The anchor is the top of the line box (font ascent).
    case top
    /// The anchor is at the visual middle of the line (between ascent and descent).
    case middle
    /// The anchor is on the baseline.
    case baseline
    /// The anchor is at the bottom of the line box (font descent).
    case bottom
}

/// The size of a line of text in a given font: `width` is the larger of the advance and the ink,
/// `ascent`/`descent` are the font's (so lines in one font share a baseline grid).
public struct TextMetrics: Equatable, Sendable {
    public var width: Double
    public var ascent: Double
    public var descent: Double
    public var height: Double { ascent + descent }
    public var size: Size { Size(width: width, height: height) }

    /// How far below the anchor the baseline sits for a vertical alignment.
    public func baselineOffset(_ alignment: VerticalAlignment) -> Double {
        switch alignment {
        case .top: return ascent
        case .middle: return (ascent - descent) / 2
        case .baseline: return 0
        case .bottom: return -descent
        }
    }

    /// Where the text's left end starts relative to the anchor.
    public func leftOffset(_ alignment: HorizontalAlignment) -> Double {
        switch alignment {
        case .left: return 0
        case .center: return -width / 2
        case .right: return -width
        }
    }

    /// The box the text occupies when drawn at `anchor` with these alignments, rotated by `rotation`
    /// degrees counter-clockwise about the anchor (the axis-aligned bounds of the rotated box).
    public func bounds(at anchor: Point, alignment: HorizontalAlignment = .left,
                       verticalAlignment: VerticalAlignment = .baseline, rotation: Double = 0) -> Rect {
        let x0 = leftOffset(alignment), x1 = x0 + width
        let base = baselineOffset(verticalAlignment)
        let y0 = base - ascent, y1 = base + descent
        let a = rotation * .pi / 180
        let c = cos(a), s = sin(a)
        var minX = Double.infinity, maxX = -Double.infinity
        var minY = Double.infinity, maxY = -Double.infinity
        for (x, y) in [(x0, y0), (x1, y0), (x0, y1), (x1, y1)] {
            // Counter-clockwise on screen (y grows downwards).
            let rx = x * c + y * s
            let ry = -x * s + y * c
            minX = min(minX, rx); maxX = max(maxX, rx)
            minY = min(minY, ry); maxY = max(maxY, ry)
        }
        return Rect(x: anchor.x + minX, y: anchor.y + minY, width: maxX - minX, height: maxY - minY)
    }
}

func selectFont(_ cr: OpaquePointer, for text: String, size: Double, weight: FontWeight) {
    cairo_select_font_face(cr, fontFamily(for: text), CAIRO_FONT_SLANT_NORMAL, weight.cairoWeight)
    cairo_set_font_size(cr, size)
}

func textMetrics(_ cr: OpaquePointer, _ text: String, size: Double, weight: FontWeight) -> TextMetrics {
    selectFont(cr, for: text, size: size, weight: weight)
    var fontExtents = cairo_font_extents_t()
    cairo_font_extents(cr, &fontExtents)
    guard !text.isEmpty else {
        return TextMetrics(width: 0, ascent: fontExtents.ascent, descent: fontExtents.descent)
    }
    var extents = cairo_text_extents_t()
    cairo_text_extents(cr, text, &extents)
    let ink = extents.width > 0 ? max(0, extents.x_bearing) + extents.width : 0
    return TextMetrics(width: max(extents.x_advance, ink), ascent: fontExtents.ascent,
                       descent: fontExtents.descent)
}

/// Measures text outside a canvas (for layouts and `preferredSize`). It uses the same fonts and font
/// options as `Canvas`, so what it measures is what gets drawn.
public final class TextMeasurer {
    private let scratch = ScratchContext()
    private var cache: [Key: TextMetrics] = [:]

    private struct Key: Hashable {
        var text: String
        var size: Double
        var bold: Bool
    }

    public init() {}

    public func metrics(_ text: String, size: Double, weight: FontWeight = .regular) -> TextMetrics {
        let key = Key(text: text, size: size, bold: weight == .bold)
        if let cached = cache[key] { return cached }
        let m = textMetrics(scratch.cr, text, size: size, weight: weight)
        cache[key] = m
        return m
    }

    public func measure(_ text: String, size: Double, weight: FontWeight = .regular) -> Size {
        metrics(text, size: size, weight: weight).size
    }

    public func width(_ text: String, size: Double, weight: FontWeight = .regular) -> Double {
        metrics(text, size: size, weight: weight).width
    }

    /// The line height of the font used for `text` (ascent + descent).
    public func lineHeight(_ text: String = "Hg", size: Double, weight: FontWeight = .regular) -> Double {
        metrics(text, size: size, weight: weight).height
    }
}

/// Measures one line of text: `Size(width, ascent + descent)`.
public func measureText(_ text: String, size: Double, weight: FontWeight = .regular) -> Size {
    TextMeasurer().measure(text, size: size, weight: weight)
}
