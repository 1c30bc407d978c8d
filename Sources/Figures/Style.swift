// The house style: one place for colours, sizes and spacing so every figure matches.

/// The house style: the colours, font sizes (in points) and spacing every figure shares.
public enum FigureStyle {
    /// The canvas background (white).
    public static let background = RGB.white
    /// Body text and titles (#222).
    public static let text = RGB(hex: 0x222222)
    /// Subtitles, axis titles, tick labels.
    public static let secondaryText = RGB(hex: 0x555555)
    /// Hints and de-emphasised text.
    public static let mutedText = RGB(hex: 0x888888)
    /// Axis lines and tick marks.
    public static let axis = RGB(hex: 0x444444)
    /// Gridlines.
    public static let grid = RGB(hex: 0xE6E6E6)
    /// Outline of a highlighted row or bar label.
    public static let highlight = RGB(hex: 0xD62728)

    /// Masked (non-finite) heatmap cells: light grey with a darker hatch, clearly outside any colour map.
    public static let maskedFill = RGB(hex: 0xE8E8E8)
    /// The hatch lines over masked cells (#C8C8C8).
    public static let maskedHatch = RGB(hex: 0xC8C8C8)
    /// Text on masked cells (#666666).
    public static let maskedText = RGB(hex: 0x666666)

    /// Figure titles (20 pt).
    public static let titleSize = 20.0
    /// Subtitles (14 pt).
    public static let subtitleSize = 14.0
    /// Axis titles (14 pt).
    public static let axisTitleSize = 14.0
    /// Labels inside a chart (13 pt).
    public static let labelSize = 13.0
    /// Tick labels (12 pt).
    public static let tickSize = 12.0

    /// Space around every figure.
    public static let margin = 28.0

    /// Ten distinguishable series colours (Tableau 10).
    public static let palette: [RGB] = [
        0x4E79A7, 0xE15759, 0x59A14F, 0xF28E2B, 0xB07AA1,
        0x76B7B2, 0xEDC948, 0xFF9DA7, 0x9C755F, 0xBAB0AC,
    ].map { RGB(hex: $0) }
}
