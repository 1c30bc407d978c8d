import CCairo
import Foundation

/// Where a text's anchor point is horizontally: at its left edge, centre or right edge.
public enum HorizontalAlignment: Sendable { case left, center, right }
/// Where a text's anchor point is vertically.
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
    /// The larger of the advance width and the ink width, in user units.
    public var width: Double
    /// The font's ascent above the baseline, in user units.
    public var ascent: Double
    /// The font's descent below the baseline, in user units.
    public var descent: Double
    /// Ascent plus descent.
    public var height: Double { ascent + descent }
    /// `width` by `height`.
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

/// One line of text laid out by Pango for a Cairo context, in the figures' font list (see
/// `figureFontList`): Pango picks a font per character, so Latin stays in DejaVu Sans beside a
/// Chinese character, Chinese falls back to WenQuanYi Micro Hei and an emoji to Noto Color Emoji.
///
/// The layout reads the context's current transformation: laid out on a context rotated by a
/// right angle, Pango turns wide (CJK) characters upright, so a vertical Chinese label reads top
/// to bottom with 我 standing, while Latin runs along the line as before.
final class TextLayout {
    let layout: OpaquePointer

    /// Callers save and restore `cr` around this: a degenerate transform (a panel scaled to
    /// nothing) is replaced by the identity, which Pango can lay text out in.
    init(_ cr: OpaquePointer, _ text: String, size: Double, weight: FontWeight, rotation: Double = 0) {
        var matrix = cairo_matrix_t()
        cairo_get_matrix(cr, &matrix)
        let determinant = matrix.xx * matrix.yy - matrix.xy * matrix.yx
        if !(determinant.isFinite && abs(determinant) > 1e-12) { cairo_identity_matrix(cr) }
        layout = pango_cairo_create_layout(cr)
        let context = pango_layout_get_context(layout)
        // Text must measure the same at any scale and in every format: no hinting, no rounding
        // of glyph positions to whole device pixels.
        if let options = cairo_font_options_create() {
            setFigureFontOptions(options)
            pango_cairo_context_set_font_options(context, options)
            cairo_font_options_destroy(options)
        }
        pango_context_set_round_glyph_positions(context, 0)
        // Right angles: the gravity follows the rotation (CJK upright in vertical labels).
        // Any other angle: the text is simply turned, like a Latin label at 45°.
        let rightAngle = rotation.truncatingRemainder(dividingBy: 90) == 0
        pango_context_set_base_gravity(context, rightAngle ? PANGO_GRAVITY_AUTO : PANGO_GRAVITY_SOUTH)
        pango_context_set_gravity_hint(context, PANGO_GRAVITY_HINT_NATURAL)
        pango_layout_context_changed(layout)
        let description = pango_font_description_from_string(figureFontList)
        // Pango asserts on sizes it cannot hold; a figure never asks for these, bad input might.
        let safeSize = size.isFinite && size > 0 ? min(size, 100_000) : 1
        pango_font_description_set_absolute_size(description, safeSize * Double(PANGO_SCALE))
        pango_font_description_set_weight(description, weight == .bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_layout_set_font_description(layout, description)
        pango_font_description_free(description)
        // One line: a stray newline in a label is drawn as a glyph, never as a second line.
        pango_layout_set_single_paragraph_mode(layout, 1)
        pango_layout_set_text(layout, text, -1)
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(layout)) }

    /// The line's metrics in its own coordinates (along the line, before any rotation).
    var metrics: TextMetrics {
        var ink = PangoRectangle(), logical = PangoRectangle()
        pango_layout_get_extents(layout, &ink, &logical)
        let scale = Double(PANGO_SCALE)
        let baseline = Double(pango_layout_get_baseline(layout)) / scale
        let top = Double(logical.y) / scale
        let inkRight = ink.width > 0 ? Double(max(0, ink.x) + ink.width) / scale : 0
        return TextMetrics(width: max(Double(logical.width) / scale, inkRight),
                           ascent: baseline - top, descent: Double(logical.y + logical.height) / scale - baseline)
    }

    /// Characters no font in the list has a glyph for (each would be drawn as a box).
    var unknownGlyphCount: Int { Int(pango_layout_get_unknown_glyphs_count(layout)) }

    /// The runs Pango made, as (text, font family) pairs in order.
    var fontRuns: [(text: String, family: String)] {
        let utf8 = Array((String(cString: pango_layout_get_text(layout))).utf8)
        var runs: [(text: String, family: String)] = []
        guard let iter = pango_layout_get_iter(layout) else { return runs }
        defer { pango_layout_iter_free(iter) }
        repeat {
            guard let run = pango_layout_iter_get_run_readonly(iter), let item = run.pointee.item else { continue }
            let start = Int(item.pointee.offset), count = Int(item.pointee.length)
            let piece = String(decoding: utf8[start..<min(utf8.count, start + count)], as: UTF8.self)
            var family = ""
            if let font = item.pointee.analysis.font, let description = pango_font_describe(font) {
                if let name = pango_font_description_get_family(description) { family = String(cString: name) }
                pango_font_description_free(description)
            }
            runs.append((piece, family))
        } while pango_layout_iter_next_run(iter) != 0
        return runs
    }
}

/// The fonts every figure uses, in fallback order: Latin, then CJK. Emoji come from fontconfig's
/// fallback (Noto Color Emoji): naming the emoji font here made Pango draw digits with its grey
/// keycap glyphs.
let figureFontList = "\(latinFontFamily), \(cjkFontFamily)"

/// Measures one line of `text` on `cr`, laid out as it would be drawn turned by `rotation` degrees.
func textMetrics(_ cr: OpaquePointer, _ text: String, size: Double, weight: FontWeight,
                 rotation: Double = 0) -> TextMetrics {
    cairo_save(cr)
    defer { cairo_restore(cr) }
    if rotation != 0 { cairo_rotate(cr, -rotation * .pi / 180) }
    return TextLayout(cr, text, size: size, weight: weight, rotation: rotation).metrics
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
        var rotation: Double
    }

    /// A measurer with its own scratch Cairo context and an empty cache (not thread-safe: use one
    /// per thread).
    public init() {}

    /// `rotation`: the metrics of the line as drawn turned by that many degrees, in the line's own
    /// coordinates (a vertical CJK label stacks upright characters, so it measures differently).
    public func metrics(_ text: String, size: Double, weight: FontWeight = .regular,
                        rotation: Double = 0) -> TextMetrics {
        let key = Key(text: text, size: size, bold: weight == .bold, rotation: rotation)
        if let cached = cache[key] { return cached }
        let m = textMetrics(scratch.cr, text, size: size, weight: weight, rotation: rotation)
        cache[key] = m
        return m
    }

    /// The width and height of `text` in one line, unrotated.
    public func measure(_ text: String, size: Double, weight: FontWeight = .regular) -> Size {
        metrics(text, size: size, weight: weight).size
    }

    /// The width of `text` in one line, unrotated.
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
