import CCairo
import Foundation

/// A drawing surface in user units (points), backed by a Cairo surface and context which it owns
/// and frees. PNG canvases have `scale` device pixels per unit; SVG and PDF canvases are vector.
///
/// Text is laid out by Pango, which picks a font per character: DejaVu Sans, then WenQuanYi Micro
/// Hei for CJK, then Noto Color Emoji (see `TextLayout`). Every text box drawn is remembered in
/// `textBoxes`, so tests can check that no label leaves the canvas or covers another.
public final class Canvas {
    /// The drawing area in user units.
    public let size: Size
    /// Device pixels per user unit (PNG); 1 for vector formats.
    public let scale: Double
    /// PNG, SVG or PDF: what `fileData()` produces.
    public let format: FigureFormat
    /// The underlying `cairo_t *`, for anything the helpers below do not cover.
    public let context: OpaquePointer
    /// Written into PNG files as their "Title" (the gallery's caption).
    public var documentTitle: String?
    let surface: OpaquePointer
    private let sink: ByteSink?
    private var finished = false

    /// An image (PNG) canvas of `size` user units at `scale` pixels per unit.
    public convenience init(size: Size, scale: Double = 2) throws {
        try self.init(format: .png, size: size, scale: scale)
    }

    init(format: FigureFormat, size: Size, scale: Double) throws {
        guard size.width.isFinite, size.height.isFinite, size.width >= 1, size.height >= 1 else {
            throw FigureError.invalidData("figure size \(size.width)×\(size.height) must be at least 1×1")
        }
        guard scale.isFinite, scale > 0 else {
            throw FigureError.invalidData("scale \(scale) must be a positive number")
        }
        let surface: OpaquePointer?
        var sink: ByteSink? = nil
        switch format {
        case .png:
            let w = Int32((size.width * scale).rounded()), h = Int32((size.height * scale).rounded())
            guard w <= 32767, h <= 32767 else {
                throw FigureError.invalidData("image \(w)×\(h) pixels is too large for Cairo (max 32767)")
            }
            surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, max(1, w), max(1, h))
        case .svg:
            let s = ByteSink()
            sink = s
            surface = cairo_svg_surface_create_for_stream(byteSinkWrite, Unmanaged.passUnretained(s).toOpaque(),
                                                          size.width, size.height)
        case .pdf:
            let s = ByteSink()
            sink = s
            surface = cairo_pdf_surface_create_for_stream(byteSinkWrite, Unmanaged.passUnretained(s).toOpaque(),
                                                          size.width, size.height)
            // Cairo stamps the current time as /CreationDate; a fixed date makes PDFs
            // byte-identical across runs like the PNGs and SVGs (see pdfCreationDate).
            if let surface {
                cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, pdfCreationDate())
            }
        }
        guard let surface else { throw FigureError.cairo(operation: "create \(format) surface", status: "no surface") }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw FigureError.cairo(operation: "create \(format) surface", status: statusString(status))
        }
        guard let cr = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            throw FigureError.cairo(operation: "create context", status: "no context")
        }
        self.surface = surface
        self.context = cr
        self.sink = sink
        self.size = size
        self.format = format
        self.scale = format == .png ? scale : 1
        if format == .png { cairo_scale(cr, scale, scale) }
        applyFontOptions(cr)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    var cr: OpaquePointer { context }

    // MARK: - Output

    /// Throws if Cairo has recorded an error on the context or surface.
    public func checkStatus(_ operation: String = "draw") throws {
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw FigureError.cairo(operation: operation, status: statusString(status))
        }
        let surfaceStatus = cairo_surface_status(surface)
        guard surfaceStatus == CAIRO_STATUS_SUCCESS else {
            throw FigureError.cairo(operation: operation, status: statusString(surfaceStatus))
        }
    }

    /// The PNG file contents (image canvases only).
    public func pngData() throws -> [UInt8] {
        guard format == .png else {
            throw FigureError.cairo(operation: "encode PNG", status: "canvas is \(format), not png")
        }
        try checkStatus()
        // Our encoder: Cairo's libpng writer took most of a figure's render time (see PNGEncoder.swift).
        // A user unit is a typographic point (1/72 inch): at `scale` pixels per point the image is
        // 72 × scale pixels per inch, so a 2× figure opens at its drawn size, not twice as large.
        if let bytes = PNGEncoder.encode(rgb24Surface: surface, pixelsPerInch: 72 * scale, title: documentTitle) {
            return bytes
        }
        return try cairoPNGData()
    }

    /// The PNG file contents as Cairo's own writer (libpng) makes them: the fallback for surfaces the
    /// encoder does not handle, and the reference the encoder's pixels are tested against.
    func cairoPNGData() throws -> [UInt8] {
        try checkStatus()
        cairo_surface_flush(surface)
        let out = ByteSink()
        let status = cairo_surface_write_to_png_stream(surface, byteSinkWrite, Unmanaged.passUnretained(out).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else {
            throw FigureError.cairo(operation: "encode PNG", status: statusString(status))
        }
        return out.bytes
    }

    /// Finishes a vector canvas and returns the SVG or PDF document.
    func finishVectorDocument() throws -> [UInt8] {
        try checkStatus()
        if !finished {
            cairo_surface_finish(surface)
            finished = true
        }
        try checkStatus("finish \(format) document")
        return sink?.bytes ?? []
    }

    /// The finished file contents in this canvas's format.
    public func fileData() throws -> [UInt8] {
        format == .png ? try pngData() : try finishVectorDocument()
    }

    // MARK: - State

    /// Pushes the graphics state (transform, clip, colour, line settings); pair with `restore()`.
    public func save() { cairo_save(cr) }
    /// Pops the graphics state pushed by the last `save()`.
    public func restore() { cairo_restore(cr) }

    /// Runs `body` with the graphics state saved and restored around it.
    public func withSavedState<T>(_ body: () throws -> T) rethrows -> T {
        cairo_save(cr)
        defer { cairo_restore(cr) }
        return try body()
    }

    /// Intersects the clip with `rect` (until the next `restore`).
    public func clip(to rect: Rect) {
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
    }

    /// Runs `body` clipped to `rect`.
    public func withClip<T>(_ rect: Rect, _ body: () throws -> T) rethrows -> T {
        try withSavedState {
            clip(to: rect)
            return try body()
        }
    }

    /// Moves the origin by (dx, dy) user units for what is drawn next (until `restore`).
    public func translate(dx: Double, dy: Double) { cairo_translate(cr, dx, dy) }
    /// Scales what is drawn next by `factor` in both directions (until `restore`).
    public func scaleBy(_ factor: Double) { cairo_scale(cr, factor, factor) }

    // MARK: - Shapes

    private func setColor(_ color: RGB, opacity: Double = 1) {
        if opacity >= 1 {
            cairo_set_source_rgb(cr, color.red, color.green, color.blue)
        } else {
            cairo_set_source_rgba(cr, color.red, color.green, color.blue, max(0, opacity))
        }
    }

    private func setStroke(width: Double, dash: [Double]?) {
        cairo_set_line_width(cr, width)
        if let dash, !dash.isEmpty {
            cairo_set_dash(cr, dash, Int32(dash.count), 0)
        } else {
            cairo_set_dash(cr, nil, 0, 0)
        }
    }

    /// Fills the whole canvas.
    public func fillBackground(_ color: RGB = FigureStyle.background) {
        withSavedState {
            cairo_identity_matrix(cr)
            cairo_reset_clip(cr)
            setColor(color)
            cairo_paint(cr)
        }
    }

    /// Fills `rect` with `color`; `opacity` is 0...1.
    public func fillRect(_ rect: Rect, color: RGB, opacity: Double = 1) {
        cairo_new_path(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        setColor(color, opacity: opacity)
        cairo_fill(cr)
    }

    /// Outlines `rect` with a line `width` units wide; `dash` gives on/off lengths in units (nil:
    /// solid).
    public func strokeRect(_ rect: Rect, color: RGB, width: Double = 1, dash: [Double]? = nil) {
        cairo_new_path(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        setColor(color)
        setStroke(width: width, dash: dash)
        cairo_stroke(cr)
    }

    /// A rectangle with rounded corners, filled and/or stroked.
    public func roundedRect(_ rect: Rect, radius: Double, fill: RGB? = nil, stroke: RGB? = nil,
                            strokeWidth: Double = 1) {
        let r = min(radius, rect.width / 2, rect.height / 2)
        cairo_new_path(cr)
        cairo_new_sub_path(cr)
        cairo_arc(cr, rect.maxX - r, rect.minY + r, r, -.pi / 2, 0)
        cairo_arc(cr, rect.maxX - r, rect.maxY - r, r, 0, .pi / 2)
        cairo_arc(cr, rect.minX + r, rect.maxY - r, r, .pi / 2, .pi)
        cairo_arc(cr, rect.minX + r, rect.minY + r, r, .pi, 3 * .pi / 2)
        cairo_close_path(cr)
        if let fill {
            setColor(fill)
            if stroke != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
        }
        if let stroke {
            setColor(stroke)
            setStroke(width: strokeWidth, dash: nil)
            cairo_stroke(cr)
        }
        cairo_new_path(cr)
    }

    /// A straight line from `a` to `b`, `width` units wide; `dash` gives on/off lengths (nil:
    /// solid).
    public func line(from a: Point, to b: Point, color: RGB, width: Double = 1, dash: [Double]? = nil) {
        polyline([a, b], color: color, width: width, dash: dash)
    }

    /// A straight line drawn with `opacity` (0...1) over whatever is already there.
    public func line(from a: Point, to b: Point, color: RGB, width: Double, opacity: Double) {
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite, opacity > 0 else { return }
        cairo_new_path(cr)
        cairo_move_to(cr, a.x, a.y)
        cairo_line_to(cr, b.x, b.y)
        setColor(color, opacity: min(1, opacity))
        setStroke(width: width, dash: nil)
        cairo_stroke(cr)
    }

    /// Connected line segments (non-finite points are skipped).
    public func polyline(_ points: [Point], color: RGB, width: Double = 1, dash: [Double]? = nil,
                         closed: Bool = false) {
        let points = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard points.count >= 2 else { return }
        cairo_new_path(cr)
        cairo_move_to(cr, points[0].x, points[0].y)
        for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        if closed { cairo_close_path(cr) }
        setColor(color)
        setStroke(width: width, dash: dash)
        cairo_stroke(cr)
    }

    /// A filled polygon.
    public func fillPolygon(_ points: [Point], color: RGB, opacity: Double = 1) {
        guard points.count >= 3 else { return }
        cairo_new_path(cr)
        cairo_move_to(cr, points[0].x, points[0].y)
        for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_close_path(cr)
        setColor(color, opacity: opacity)
        cairo_fill(cr)
    }

    /// A line with a filled arrow head at `to`.
    public func arrow(from a: Point, to b: Point, color: RGB, width: Double = 1.5, headLength: Double = 9,
                      headWidth: Double = 7) {
        let dx = b.x - a.x, dy = b.y - a.y
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > 0 else { return }
        let ux = dx / length, uy = dy / length
        let head = min(headLength, length)
        let base = Point(x: b.x - ux * head, y: b.y - uy * head)
        line(from: a, to: base, color: color, width: width)
        let px = -uy * headWidth / 2, py = ux * headWidth / 2
        fillPolygon([b, Point(x: base.x + px, y: base.y + py), Point(x: base.x - px, y: base.y - py)], color: color)
    }

    /// A circle, filled and/or stroked (nothing is drawn when both colours are nil).
    public func circle(center: Point, radius: Double, fill: RGB? = nil, stroke: RGB? = nil,
                       strokeWidth: Double = 1) {
        cairo_new_path(cr)
        cairo_arc(cr, center.x, center.y, radius, 0, 2 * .pi)
        if let fill {
            setColor(fill)
            if stroke != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
        }
        if let stroke {
            setColor(stroke)
            setStroke(width: strokeWidth, dash: nil)
            cairo_stroke(cr)
        }
        cairo_new_path(cr)
    }

    /// Diagonal hatching inside `rect` (lines at 45°, `spacing` apart).
    public func hatch(_ rect: Rect, color: RGB, spacing: Double = 6, width: Double = 1) {
        withClip(rect) {
            cairo_new_path(cr)
            var offset = -rect.height
            while offset < rect.width {
                cairo_move_to(cr, rect.minX + offset, rect.maxY)
                cairo_line_to(cr, rect.minX + offset + rect.height, rect.minY)
                offset += spacing
            }
            setColor(color)
            setStroke(width: width, dash: nil)
            cairo_stroke(cr)
        }
    }

    /// Fills `rect` with a colour map: t = 0 at the bottom (vertical) or left (horizontal), 1 at the
    /// other end. Cairo interpolates linearly in sRGB between the map's evenly spaced stops, exactly
    /// like `ColorMap.color(at:)`.
    public func fillGradient(_ rect: Rect, colorMap: ColorMap, vertical: Bool = true) {
        guard let pattern = vertical
            ? cairo_pattern_create_linear(rect.minX, rect.maxY, rect.minX, rect.minY)
            : cairo_pattern_create_linear(rect.minX, rect.minY, rect.maxX, rect.minY) else { return }
        let stops = colorMap.stops
        for (i, stop) in stops.enumerated() {
            let offset = stops.count == 1 ? 0 : Double(i) / Double(stops.count - 1)
            cairo_pattern_add_color_stop_rgb(pattern, offset, stop.red, stop.green, stop.blue)
        }
        cairo_new_path(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_set_source(cr, pattern)
        cairo_fill(cr)
        cairo_pattern_destroy(pattern)
    }

    // MARK: - Text

    /// Metrics of one line of `text` as the canvas would lay it out.
    public func textMetrics(_ text: String, size: Double = FigureStyle.labelSize,
                            weight: FontWeight = .regular) -> TextMetrics {
        withSavedState {
            cairo_identity_matrix(cr)
            if format == .png { cairo_scale(cr, scale, scale) }
            return Figures.textMetrics(cr, text, size: size, weight: weight)
        }
    }

    /// One box per text drawn, in canvas coordinates (the transform at drawing time applied), in
    /// drawing order.
    public private(set) var textBoxes: [DrawnText] = []

    /// `Size(width, ascent + descent)` of one line of text.
    public func measure(_ text: String, size: Double = FigureStyle.labelSize, weight: FontWeight = .regular) -> Size {
        textMetrics(text, size: size, weight: weight).size
    }

    /// Draws one line of text. `rotation` is in degrees, counter-clockwise, about `point`.
    /// Returns the axis-aligned bounds of what was drawn.
    @discardableResult
    public func text(_ string: String, at point: Point, size: Double = FigureStyle.labelSize,
                     weight: FontWeight = .regular, color: RGB = FigureStyle.text,
                     alignment: HorizontalAlignment = .left, verticalAlignment: VerticalAlignment = .baseline,
                     rotation: Double = 0, opacity: Double = 1) -> Rect {
        // A centred vertical title with Chinese in it is turned clockwise (−90°): Pango stacks the
        // Chinese upright either way, but only clockwise does a mixed title ("PE 值") keep its
        // reading order from the top down. A centred line has the same box at +90° and −90°.
        let rotation = rotation == 90 && alignment == .center && verticalAlignment == .middle && containsCJK(string)
            ? -90 : rotation
        let (bounds, corners, drawnSize): (Rect, [Point], Double) = withSavedState {
            // The text's size in canvas units: a panel scaled down draws its text smaller.
            var matrix = cairo_matrix_t()
            cairo_get_matrix(cr, &matrix)
            let drawnSize = size * abs(matrix.xx * matrix.yy - matrix.xy * matrix.yx).squareRoot() / scale
            cairo_translate(cr, point.x, point.y)
            if rotation != 0 { cairo_rotate(cr, -rotation * .pi / 180) }
            let layout = TextLayout(cr, string, size: size, weight: weight, rotation: rotation)
            let m = layout.metrics
            let bounds = m.bounds(at: point, alignment: alignment, verticalAlignment: verticalAlignment,
                                  rotation: rotation)
            guard !string.isEmpty else { return (bounds, [], drawnSize) }
            // Pango draws a layout from its top-left corner; our anchor is on the baseline.
            let x0 = m.leftOffset(alignment), y0 = m.baselineOffset(verticalAlignment) - m.ascent
            cairo_new_path(cr)
            cairo_move_to(cr, x0, y0)
            setColor(color, opacity: opacity)
            pango_cairo_show_layout(cr, layout.layout)
            cairo_new_path(cr)
            // The line box's four corners in canvas units, for `textBoxes`.
            let corners = [(x0, y0), (x0 + m.width, y0), (x0 + m.width, y0 + m.height), (x0, y0 + m.height)].map { c in
                var x = c.0, y = c.1
                cairo_user_to_device(cr, &x, &y)
                return Point(x: x / scale, y: y / scale)
            }
            return (bounds, corners, drawnSize)
        }
        if !string.isEmpty {
            textBoxes.append(DrawnText(text: string, box: userToCanvas(bounds), corners: corners, size: drawnSize))
        }
        return bounds
    }
}

/// A text the canvas drew and the box it occupies.
public struct DrawnText: Sendable, Equatable {
    /// The text as drawn.
    public var text: String
    /// Axis-aligned, in canvas units.
    public var box: Rect
    /// The line box's corners in canvas units (a rotated label is a rotated rectangle).
    public var corners: [Point]
    /// The font size in canvas units (after any scaling of the panel it is in).
    public var size: Double

    /// True when the two line boxes overlap by more than `tolerance` units (separating-axis test on
    /// the two rectangles, so slanted labels side by side do not count as overlapping).
    public func overlaps(_ other: DrawnText, tolerance: Double = 0.5) -> Bool {
        guard corners.count == 4, other.corners.count == 4 else { return false }
        for quad in [corners, other.corners] {
            for i in 0..<2 {
                let a = quad[i], b = quad[i + 1]
                var nx = -(b.y - a.y), ny = b.x - a.x
                let length = (nx * nx + ny * ny).squareRoot()
                guard length > 0 else { continue }
                nx /= length; ny /= length
                let p = corners.map { $0.x * nx + $0.y * ny }, q = other.corners.map { $0.x * nx + $0.y * ny }
                if p.max()! - tolerance <= q.min()! || q.max()! - tolerance <= p.min()! { return false }
            }
        }
        return true
    }
}

extension Canvas {
    /// The axis-aligned canvas-unit box around `rect` given in the current user space (which panels
    /// may have translated or scaled).
    func userToCanvas(_ rect: Rect) -> Rect {
        var xs: [Double] = [], ys: [Double] = []
        for (px, py) in [(rect.minX, rect.minY), (rect.maxX, rect.minY), (rect.minX, rect.maxY), (rect.maxX, rect.maxY)] {
            var x = px, y = py
            cairo_user_to_device(cr, &x, &y)
            xs.append(x / scale); ys.append(y / scale)
        }
        return Rect(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!, height: ys.max()! - ys.min()!)
    }
}

func statusString(_ status: cairo_status_t) -> String {
    guard let cString = cairo_status_to_string(status) else { return "status \(status.rawValue)" }
    return String(cString: cString)
}

/// Collects bytes written by Cairo's stream functions.
final class ByteSink {
    var bytes: [UInt8] = []
}

let byteSinkWrite: cairo_write_func_t = { closure, data, length in
    guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    if let data, length > 0 {
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    }
    return CAIRO_STATUS_SUCCESS
}

/// The creation date written into PDFs, in the ISO-8601 form Cairo takes: SOURCE_DATE_EPOCH
/// (the reproducible-builds convention: seconds since 1970) when it is set to a sane number,
/// else the epoch itself. Never the current time, so the same figure is the same bytes.
func pdfCreationDate() -> String {
    var seconds: time_t = 0
    if let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let value = Int(text),
       (0...253_402_300_799).contains(value) {   // up to 9999-12-31
        seconds = time_t(value)
    }
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
}
