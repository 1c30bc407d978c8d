import Foundation

// Colours and colour maps. Everything here is plain value types, safe to share.

/// An sRGB colour with components in 0...1.
public struct RGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The red component, 0...1.
    public var red: Double
    /// The green component, 0...1.
    public var green: Double
    /// The blue component, 0...1.
    public var blue: Double

    /// A colour from components in 0...1 (not clamped; `bytes` clamps).
    public init(red: Double, green: Double, blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `RGB(hex: 0x440154)`: 0xRRGGBB.
    public init(hex: UInt32) {
        red = Double((hex >> 16) & 0xFF) / 255
        green = Double((hex >> 8) & 0xFF) / 255
        blue = Double(hex & 0xFF) / 255
    }

    /// The colour as 8-bit channels, rounded (and clamped to 0...255).
    public var bytes: (UInt8, UInt8, UInt8) {
        (Self.byte(red), Self.byte(green), Self.byte(blue))
    }

    /// "#RRGGBB".
    public var hexString: String {
        let (r, g, b) = bytes
        return "#" + [r, g, b].map { value in
            let digits = String(value, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// "#RRGGBB", as `hexString`.
    public var description: String { hexString }

    /// Linear interpolation in sRGB: `t = 0` gives `self`, `t = 1` gives `other`.
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        RGB(red: red + (other.red - red) * t,
            green: green + (other.green - green) * t,
            blue: blue + (other.blue - blue) * t)
    }

    /// WCAG relative luminance (0 for black, 1 for white).
    public var relativeLuminance: Double {
        func linear(_ c: Double) -> Double {
            let c = min(max(c, 0), 1)
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// WCAG contrast ratio between two colours (1...21).
    public func contrastRatio(with other: RGB) -> Double {
        let a = relativeLuminance, b = other.relativeLuminance
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    /// The text colour to write on top of this colour: white on dark, dark grey on light.
    public var contrastingTextColor: RGB {
        let dark = FigureStyle.text
        return contrastRatio(with: .white) > contrastRatio(with: dark) ? .white : dark
    }

    /// #FFFFFF.
    public static let white = RGB(red: 1, green: 1, blue: 1)
    /// #000000.
    public static let black = RGB(red: 0, green: 0, blue: 0)

    private static func byte(_ c: Double) -> UInt8 {
        guard c.isFinite else { return 0 }
        return UInt8(min(max((c * 255).rounded(), 0), 255))
    }
}

/// A colour map: evenly spaced colour stops, linearly interpolated in sRGB.
public struct ColorMap: Sendable {
    /// The map's name, e.g. "viridis".
    public let name: String
    /// The colours at evenly spaced positions from 0 (first) to 1 (last).
    public let stops: [RGB]
    /// True for maps meant for signed data centred at zero (the heatmap then picks a symmetric range).
    public let isCenteredAtZero: Bool

    /// A map for unsigned data (not centred at zero). `stops` must not be empty.
    public init(name: String, stops: [RGB]) {
        self.init(name: name, stops: stops, centeredAtZero: false)
    }

    /// A map; `centeredAtZero` marks maps for signed data. `stops` must not be empty (a programmer
    /// error that stops the program).
    public init(name: String, stops: [RGB], centeredAtZero: Bool) {
        precondition(!stops.isEmpty, "ColorMap \(name) needs at least one stop")
        self.name = name
        self.stops = stops
        self.isCenteredAtZero = centeredAtZero
    }

    /// The colour at `t` (clamped to 0...1; NaN is treated as 0).
    public func color(at t: Double) -> RGB {
        let t = t.isNaN ? 0 : min(max(t, 0), 1)
        guard stops.count > 1 else { return stops[0] }
        if t >= 1 { return stops[stops.count - 1] }
        let position = t * Double(stops.count - 1)
        let index = Int(position.rounded(.down))
        let fraction = position - Double(index)
        if fraction == 0 { return stops[index] }
        return stops[index].mixed(with: stops[index + 1], fraction)
    }

    /// The same map running the other way.
    public var reversed: ColorMap {
        ColorMap(name: name + "_r", stops: stops.reversed(), centeredAtZero: isCenteredAtZero)
    }

    /// Matplotlib's viridis sampled at t = 0, 0.1, …, 1: perceptually uniform, readable in grey
    /// and under colour-vision deficiency. For weights and probabilities.
    public static let viridis = ColorMap(name: "viridis", stops: [
        0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C,
        0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725,
    ].map { RGB(hex: $0) })

    /// ColorBrewer RdBu (11 classes) reversed: blue for negative, near-white for zero, red for positive.
    /// For signed values such as raw scores and vector components.
    public static let diverging = ColorMap(name: "diverging", stops: [
        0x053061, 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7,
        0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B, 0x67001F,
    ].map { RGB(hex: $0) }, centeredAtZero: true)

    /// Light to dark grey, for when colour is not an option.
    public static let greys = ColorMap(name: "greys", stops: [
        0xFFFFFF, 0xF0F0F0, 0xD9D9D9, 0xBDBDBD, 0x969696, 0x737373, 0x525252, 0x252525, 0x000000,
    ].map { RGB(hex: $0) })
}
