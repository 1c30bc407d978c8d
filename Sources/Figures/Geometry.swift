// Plain geometry in user units (1 unit = 1 point; PNGs are drawn at `scale` pixels per unit).

public struct Point: Equatable, Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
    public static let zero = Point(x: 0, y: 0)
}

public struct Size: Equatable, Hashable, Sendable {
    public var width: Double
    public var height: Double
    public init(width: Double, height: Double) { self.width = width; self.height = height }
    public static let zero = Size(width: 0, height: 0)
}

public struct Rect: Equatable, Hashable, Sendable {
    public var origin: Point
    public var size: Size

    public init(origin: Point, size: Size) { self.origin = origin; self.size = size }
    public init(x: Double, y: Double, width: Double, height: Double) {
        origin = Point(x: x, y: y)
        size = Size(width: width, height: height)
    }
    /// The rectangle spanned by two corners, in any order.
    public init(corners a: Point, _ b: Point) {
        self.init(x: min(a.x, b.x), y: min(a.y, b.y), width: abs(b.x - a.x), height: abs(b.y - a.y))
    }

    public var x: Double { origin.x }
    public var y: Double { origin.y }
    public var width: Double { size.width }
    public var height: Double { size.height }
    public var minX: Double { origin.x }
    public var minY: Double { origin.y }
    public var maxX: Double { origin.x + size.width }
    public var maxY: Double { origin.y + size.height }
    public var midX: Double { origin.x + size.width / 2 }
    public var midY: Double { origin.y + size.height / 2 }
    public var center: Point { Point(x: midX, y: midY) }

    /// Shrinks by `d` on every side (grows for negative `d`).
    public func insetBy(_ d: Double) -> Rect { insetBy(dx: d, dy: d) }
    public func insetBy(dx: Double, dy: Double) -> Rect {
        Rect(x: x + dx, y: y + dy, width: max(0, width - 2 * dx), height: max(0, height - 2 * dy))
    }
    public func offsetBy(dx: Double, dy: Double) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width, height: height)
    }
    public func union(_ other: Rect) -> Rect {
        Rect(corners: Point(x: min(minX, other.minX), y: min(minY, other.minY)),
             Point(x: max(maxX, other.maxX), y: max(maxY, other.maxY)))
    }
    public func contains(_ p: Point) -> Bool {
        p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
    }
    public func contains(_ r: Rect, tolerance: Double = 1e-6) -> Bool {
        r.minX >= minX - tolerance && r.maxX <= maxX + tolerance
            && r.minY >= minY - tolerance && r.maxY <= maxY + tolerance
    }
    public func intersects(_ r: Rect) -> Bool {
        r.minX < maxX && r.maxX > minX && r.minY < maxY && r.maxY > minY
    }
    /// The largest rectangle with the aspect ratio of `size`, centred in this one.
    public func aspectFit(_ size: Size) -> Rect {
        guard size.width > 0, size.height > 0 else { return self }
        let s = min(width / size.width, height / size.height)
        let w = size.width * s, h = size.height * s
        return Rect(x: midX - w / 2, y: midY - h / 2, width: w, height: h)
    }
}
