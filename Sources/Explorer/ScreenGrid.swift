import Terminal

/// A colour as three bytes, for 24-bit ANSI (Figures has its own RGB in 0…1).
public struct CellColor: Equatable, Sendable {
    /// The three channels, 0…255.
    public var red: UInt8, green: UInt8, blue: UInt8
    /// A colour from its red, green and blue bytes.
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// How one cell is drawn. Without colour only `bold`, `dim` and `reverse` are used.
public struct CellStyle: Equatable, Sendable {
    /// The text colour; nil keeps the terminal's.
    public var foreground: CellColor?
    /// The background colour; nil keeps the terminal's.
    public var background: CellColor?
    /// Bold (bright) text.
    public var bold = false
    /// Dim (faint) text.
    public var dim = false
    /// Foreground and background swapped.
    public var reverse = false

    /// A style from its parts; every part is off by default.
    public init(foreground: CellColor? = nil, background: CellColor? = nil, bold: Bool = false, dim: Bool = false,
                reverse: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
    }

    /// No colour, no attributes.
    public static let plain = CellStyle()
    /// Bold.
    public static let strong = CellStyle(bold: true)
    /// Dim.
    public static let faint = CellStyle(dim: true)
    /// Reversed.
    public static let inverse = CellStyle(reverse: true)
}

/// One terminal cell: a character one or two columns wide, or the right half of a wide one.
public struct Cell: Equatable, Sendable {
    /// "" for the right half of a double-width character.
    public var text: String
    /// How the cell is drawn.
    public var style: CellStyle

    /// A space in the plain style: what a new grid is filled with.
    public static let blank = Cell(text: " ", style: .plain)
}

/// A screen of `width` × `height` cells. Everything the explorer shows is put here first, so
/// nothing can land outside the screen: writes past the last column or row are cut, a
/// double-width character that does not fit at the end of a row becomes a space, and control
/// characters in token labels are shown as visible symbols instead of reaching the terminal.
public struct ScreenGrid: Equatable, Sendable {
    /// Columns (0 or more).
    public let width: Int
    /// Rows (0 or more).
    public let height: Int
    /// The cells, `cells[row][column]`.
    public private(set) var cells: [[Cell]]

    /// A grid of blank cells; negative sizes become 0.
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Array(repeating: .blank, count: self.width), count: self.height)
    }

    /// Writes `text` from (`row`, `column`), cut at `limit` (exclusive, default: the screen's
    /// width). Returns the column after the last cell written.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, style: CellStyle = .plain,
                             limit: Int? = nil) -> Int {
        guard row >= 0, row < height else { return column }
        let end = min(limit ?? width, width)
        var x = max(0, column)
        for character in text {
            let shown = Self.visible(character)
            let w = displayWidth(shown)
            if w == 0 { continue }
            if x + w > end {
                if x < end { cells[row][x] = Cell(text: " ", style: style) }   // a wide character cut in half
                return end
            }
            clearWideNeighbours(row: row, column: x, width: w)
            cells[row][x] = Cell(text: shown, style: style)
            if w == 2 { cells[row][x + 1] = Cell(text: "", style: style) }
            x += w
        }
        return x
    }

    /// Fills columns `from..<to` of `row` with `character` in `style`.
    public mutating func fill(row: Int, from: Int, to: Int, character: String = " ", style: CellStyle = .plain) {
        guard row >= 0, row < height else { return }
        var x = max(0, from)
        while x < min(to, width) {
            x = put(character, row: row, column: x, style: style, limit: min(to, width))
        }
    }

    /// The cell at (`row`, `column`); both must be inside the grid.
    public func cell(row: Int, column: Int) -> Cell { cells[row][column] }

    /// The text of one row without styles (wide characters once), trailing spaces kept.
    public func text(row: Int) -> String {
        cells[row].map(\.text).joined()
    }

    /// Every row as plain text, trailing spaces removed: what a snapshot test compares.
    public var lines: [String] {
        (0..<height).map { row in
            var line = text(row: row)
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// The escape sequences that draw the whole screen: each row starts with an absolute cursor
    /// move, styles are switched only where they change, and a row ends by clearing to its end
    /// (never by writing into the last column's successor or a newline, which would scroll).
    public func ansi(color: Bool) -> String {
        var out = ""
        for row in 0..<height {
            out += "\u{1B}[\(row + 1);1H"
            var current: CellStyle? = nil
            var lastNonBlank = -1
            for column in 0..<width where cells[row][column] != .blank { lastNonBlank = column }
            var column = 0
            while column <= lastNonBlank {
                let cell = cells[row][column]
                if cell.text.isEmpty { column += 1; continue }   // right half of a wide character
                if cell.style != current {
                    out += Self.sgr(cell.style, color: color)
                    current = cell.style
                }
                out += cell.text
                column += 1
            }
            out += "\u{1B}[0m"
            if lastNonBlank < width - 1 { out += "\u{1B}[K" }
        }
        return out
    }

    private static func sgr(_ style: CellStyle, color: Bool) -> String {
        var codes = ["0"]
        if style.bold { codes.append("1") }
        if style.dim { codes.append("2") }
        if style.reverse { codes.append("7") }
        if color, let f = style.foreground { codes.append("38;2;\(f.red);\(f.green);\(f.blue)") }
        if color, let b = style.background { codes.append("48;2;\(b.red);\(b.green);\(b.blue)") }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }

    /// Control characters (a token can hold a raw newline, tab or escape byte) become their
    /// visible Unicode "control picture" (␊, ␉, ␛), so no label can move the cursor.
    static func visible(_ character: Character) -> String {
        var result = ""
        for scalar in character.unicodeScalars {
            switch scalar.value {
            case 0x00..<0x20: result.unicodeScalars.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F: result += "␡"
            case 0x80..<0xA0: result += "�"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Overwriting half of a wide character leaves the other half as a space.
    private mutating func clearWideNeighbours(row: Int, column: Int, width w: Int) {
        for x in column..<(column + w) {
            if cells[row][x].text.isEmpty, x > 0, x == column { cells[row][x - 1] = .blank }
            if x + 1 < self.width, cells[row][x + 1].text.isEmpty, x == column + w - 1 { cells[row][x + 1] = .blank }
        }
    }
}
