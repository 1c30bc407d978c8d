import CCairo
import Foundation

/// The Latin font every figure uses.
public let latinFontFamily = "DejaVu Sans"
/// The font Pango falls back to for CJK characters the Latin font lacks.
public let cjkFontFamily = "WenQuanYi Micro Hei"
/// The font Pango falls back to for emoji.
public let emojiFontFamily = "Noto Color Emoji"

/// Regular or bold text.
public enum FontWeight: Sendable, Equatable {
    case regular, bold
    var cairoWeight: cairo_font_weight_t {
        self == .bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL
    }
}

/// True for Han ideographs, kana, Hangul, bopomofo, CJK punctuation and symbols, and full-width forms.
func isCJKScalar(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x1100...0x11FF,   // Hangul Jamo
         0x2E80...0x2FDF,   // CJK radicals, Kangxi radicals
         0x2FF0...0x2FFF,   // ideographic description characters
         0x3000...0x303F,   // CJK symbols and punctuation
         0x3040...0x309F,   // Hiragana
         0x30A0...0x30FF,   // Katakana
         0x3100...0x312F,   // Bopomofo
         0x3130...0x318F,   // Hangul compatibility Jamo
         0x3190...0x31FF,   // Kanbun, Bopomofo ext., CJK strokes, Katakana ext.
         0x3200...0x33FF,   // enclosed CJK letters, CJK compatibility
         0x3400...0x4DBF,   // CJK ext. A
         0x4E00...0x9FFF,   // CJK unified ideographs
         0xA960...0xA97F,   // Hangul Jamo ext. A
         0xAC00...0xD7AF,   // Hangul syllables
         0xD7B0...0xD7FF,   // Hangul Jamo ext. B
         0xF900...0xFAFF,   // CJK compatibility ideographs
         0xFE30...0xFE4F,   // CJK compatibility forms
         0xFF00...0xFFEF,   // half-width and full-width forms
         0x20000...0x2FA1F, // CJK ext. B–F, compatibility supplement
         0x30000...0x3134F: // CJK ext. G
        return true
    default:
        return false
    }
}

/// True if any character of `text` is CJK.
public func containsCJK(_ text: String) -> Bool {
    text.unicodeScalars.contains(where: isCJKScalar)
}

/// How many characters of `text` no font of the figures' list has a glyph for, as Pango lays the
/// text out (`pango_layout_get_unknown_glyphs_count`); each would be drawn as an empty box.
/// 0 means the text renders properly.
public func missingGlyphCount(in text: String, fontSize: Double = 14) -> Int {
    guard !text.isEmpty else { return 0 }
    let scratch = ScratchContext()
    return TextLayout(scratch.cr, text, size: fontSize, weight: .regular).unknownGlyphCount
}

/// The runs Pango splits `text` into and the font family it draws each in, in order: the
/// per-character fallback made visible ("Attention 注意" is DejaVu Sans, then WenQuanYi Micro Hei).
public func fontRuns(in text: String, fontSize: Double = 14) -> [(text: String, family: String)] {
    let scratch = ScratchContext()
    return TextLayout(scratch.cr, text, size: fontSize, weight: .regular).fontRuns
}

/// How many characters of `text` one font family has no glyph for (Cairo's one-font-per-string
/// view), e.g. to show that DejaVu Sans alone lacks Chinese glyphs.
public func missingGlyphCount(in text: String, family: String, fontSize: Double = 14,
                              weight: FontWeight = .regular) -> Int {
    guard !text.isEmpty else { return 0 }
    let scratch = ScratchContext()
    let cr = scratch.cr
    cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL, weight.cairoWeight)
    cairo_set_font_size(cr, fontSize)
    guard let scaledFont = cairo_get_scaled_font(cr) else { return text.unicodeScalars.count }
    var glyphs: UnsafeMutablePointer<cairo_glyph_t>? = nil
    var glyphCount: Int32 = 0
    let utf8 = Array(text.utf8)
    let status = utf8.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { chars in
            cairo_scaled_font_text_to_glyphs(scaledFont, 0, 0, chars.baseAddress, Int32(chars.count),
                                             &glyphs, &glyphCount, nil, nil, nil)
        }
    }
    defer { if let glyphs { cairo_glyph_free(glyphs) } }
    guard status == CAIRO_STATUS_SUCCESS, let glyphs else { return text.unicodeScalars.count }
    var missing = 0
    for i in 0..<Int(glyphCount) where glyphs[i].index == 0 {
        missing += 1
    }
    return missing
}

/// Font options shared by every surface so text measures the same at any scale and in every format.
func applyFontOptions(_ cr: OpaquePointer) {
    guard let options = cairo_font_options_create() else { return }
    setFigureFontOptions(options)
    cairo_set_font_options(cr, options)
    cairo_font_options_destroy(options)
}

/// No hinting (so text measures the same at every scale), grey antialiasing (same pixels everywhere).
func setFigureFontOptions(_ options: OpaquePointer) {
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
    cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
}

/// A 1×1 image surface and context for measuring text outside any canvas.
final class ScratchContext {
    let surface: OpaquePointer
    let cr: OpaquePointer

    init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)
        cr = cairo_create(surface)
        applyFontOptions(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }
}
