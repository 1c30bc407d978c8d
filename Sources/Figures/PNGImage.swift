import CCairo
import Foundation

/// A decoded PNG, for tests and tools: read pixels back from a rendered figure.
public struct PNGImage: Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Pixels row by row as 0xAARRGGBB (not premultiplied).
    public let argb: [UInt32]

    /// Reads a PNG file.
    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FigureError.cairo(operation: "read PNG \(path)", status: "file not found")
        }
        guard let surface = cairo_image_surface_create_from_png(path) else {
            throw FigureError.cairo(operation: "read PNG \(path)", status: "no surface")
        }
        defer { cairo_surface_destroy(surface) }
        try self.init(surface: surface, operation: "read PNG \(path)")
    }

    /// Decodes PNG file contents.
    public init(data: [UInt8]) throws {
        let source = ByteSource(bytes: data)
        let surface = withExtendedLifetime(source) {
            cairo_image_surface_create_from_png_stream(byteSourceRead, Unmanaged.passUnretained(source).toOpaque())
        }
        guard let surface else {
            throw FigureError.cairo(operation: "decode PNG", status: "no surface")
        }
        defer { cairo_surface_destroy(surface) }
        try self.init(surface: surface, operation: "decode PNG")
    }

    private init(surface: OpaquePointer, operation: String) throws {
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw FigureError.cairo(operation: operation, status: statusString(status))
        }
        cairo_surface_flush(surface)
        let w = Int(cairo_image_surface_get_width(surface))
        let h = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let format = cairo_image_surface_get_format(surface)
        guard let data = cairo_image_surface_get_data(surface) else {
            throw FigureError.cairo(operation: operation, status: "no pixel data")
        }
        var pixels = [UInt32](repeating: 0, count: w * h)
        for y in 0..<h {
            let row = UnsafeRawPointer(data + y * stride)
            for x in 0..<w {
                // Cairo stores native-endian 32-bit words: premultiplied ARGB (or xRGB).
                let word = row.loadUnaligned(fromByteOffset: x * 4, as: UInt32.self)
                var a = (word >> 24) & 0xFF
                var r = (word >> 16) & 0xFF, g = (word >> 8) & 0xFF, b = word & 0xFF
                if format == CAIRO_FORMAT_RGB24 {
                    a = 0xFF
                } else if a > 0 && a < 0xFF {
                    r = min(255, (r * 255 + a / 2) / a)
                    g = min(255, (g * 255 + a / 2) / a)
                    b = min(255, (b * 255 + a / 2) / a)
                }
                pixels[y * w + x] = (a << 24) | (r << 16) | (g << 8) | b
            }
        }
        width = w
        height = h
        argb = pixels
    }

    /// The (red, green, blue) of the pixel at column `x`, row `y` (0,0 is the top left).
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
        let word = argb[y * width + x]
        return (UInt8((word >> 16) & 0xFF), UInt8((word >> 8) & 0xFF), UInt8(word & 0xFF))
    }

    /// The pixel as an `RGB`.
    public func color(x: Int, y: Int) -> RGB {
        let (r, g, b) = pixel(x: x, y: y)
        return RGB(red: Double(r) / 255, green: Double(g) / 255, blue: Double(b) / 255)
    }

    /// The alpha (0 = transparent, 255 = opaque) of the pixel at column `x`, row `y` (0-based from
    /// the top left).
    public func alpha(x: Int, y: Int) -> UInt8 {
        UInt8((argb[y * width + x] >> 24) & 0xFF)
    }
}

final class ByteSource {
    let bytes: [UInt8]
    var offset = 0
    init(bytes: [UInt8]) { self.bytes = bytes }
}

let byteSourceRead: cairo_read_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
    let source = Unmanaged<ByteSource>.fromOpaque(closure).takeUnretainedValue()
    let n = Int(length)
    guard source.offset + n <= source.bytes.count else { return CAIRO_STATUS_READ_ERROR }
    source.bytes.withUnsafeBufferPointer { buffer in
        data.update(from: buffer.baseAddress! + source.offset, count: n)
    }
    source.offset += n
    return CAIRO_STATUS_SUCCESS
}
