// Plain geometry in user units (1 unit = 1 point; PNGs are drawn at `scale` pixels per unit).

/// A point in user units (points); x grows to the right, y downwards (Cairo's convention).
public struct Point: Equatable, Hashable, Sendable {
    /// Horizontal position, in user units.
    public var x: Double
    /// Vertical position, in user units (down is positive).
    public var y: Double
    /// A point at (x, y).
    public init(x: Double, y: Double) { self.x = x; self.y = y }
    /// (0, 0), the top-left corner of a canvas.
    public static let zero = Point(x: 0, y: 0)
}

/// A width and height in user units (points).
public struct Size: Equatable, Hashable, Sendable {
    /// Horizontal extent, in user units.
    public var width: Double
    /// Vertical extent, in user units.
    public var height: Double
    /// A size of `width` by `height`.
    public init(width: Double, height: Double) { self.width = width; self.height = height }
    /// 0 by 0.
    public static let zero = Size(width: 0, height: 0)
}

/// An axis-aligned rectangle in user units: `origin` is its top-left corner (y grows downwards).
public struct Rect: Equatable, Hashable, Sendable {
    /// The top-left corner.
    public var origin: Point
    /// The width and height.
    public var size: Size

    /// A rectangle with this top-left corner and size.
    public init(origin: Point, size: Size) { self.origin = origin; self.size = size }
    /// A rectangle whose top-left corner is (x, y).
    public init(x: Double, y: Double, width: Double, height: Double) {
        origin = Point(x: x, y: y)
        size = Size(width: width, height: height)
    }
    /// The rectangle spanned by two corners, in any order.
    public init(corners a: Point, _ b: Point) {
        self.init(x: min(a.x, b.x), y: min(a.y, b.y), width: abs(b.x - a.x), height: abs(b.y - a.y))
    }

    /// The left edge (`origin.x`).
    public var x: Double { origin.x }
    /// The top edge (`origin.y`).
    public var y: Double { origin.y }
    /// The horizontal extent.
    public var width: Double { size.width }
    /// The vertical extent.
    public var height: Double { size.height }
    /// The left edge.
    public var minX: Double { origin.x }
    /// The top edge.
    public var minY: Double { origin.y }
    /// The right edge: x + width.
    public var maxX: Double { origin.x + size.width }
    /// The bottom edge: y + height.
    public var maxY: Double { origin.y + size.height }
    /// The horizontal centre.
    public var midX: Double { origin.x + size.width / 2 }
    /// The vertical centre.
    public var midY: Double { origin.y + size.height / 2 }
    /// The centre point.
    public var center: Point { Point(x: midX, y: midY) }

    /// Shrinks by `d` on every side (grows for negative `d`).
    public func insetBy(_ d: Double) -> Rect { insetBy(dx: d, dy: d) }
    /// Shrinks by `dx` on the left and right and `dy` at the top and bottom (the size never goes
    /// below 0).
    public func insetBy(dx: Double, dy: Double) -> Rect {
        Rect(x: x + dx, y: y + dy, width: max(0, width - 2 * dx), height: max(0, height - 2 * dy))
    }
    /// The same rectangle moved by (dx, dy).
    public func offsetBy(dx: Double, dy: Double) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width, height: height)
    }
    /// The smallest rectangle holding both.
    public func union(_ other: Rect) -> Rect {
        Rect(corners: Point(x: min(minX, other.minX), y: min(minY, other.minY)),
             Point(x: max(maxX, other.maxX), y: max(maxY, other.maxY)))
    }
    /// True when `p` lies inside or on the edge.
    public func contains(_ p: Point) -> Bool {
        p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
    }
    /// True when `r` lies inside, allowing it to stick out by `tolerance` units on any side.
    public func contains(_ r: Rect, tolerance: Double = 1e-6) -> Bool {
        r.minX >= minX - tolerance && r.maxX <= maxX + tolerance
            && r.minY >= minY - tolerance && r.maxY <= maxY + tolerance
    }
    /// True when the two overlap with positive area (touching edges do not count).
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
