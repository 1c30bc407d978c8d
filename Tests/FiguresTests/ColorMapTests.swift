import Testing
@testable import Figures

@Suite("Colours and colour maps")
struct ColorMapTests {
    @Test func hexAndBytesRoundTrip() {
        let c = RGB(hex: 0x12AB7F)
        #expect(c.bytes == (0x12, 0xAB, 0x7F))
        #expect(c.hexString == "#12AB7F")
        #expect(RGB(red: 1, green: 0, blue: 0.5).bytes == (255, 0, 128))
        // Out-of-range components clamp instead of wrapping.
        #expect(RGB(red: 1.7, green: -0.2, blue: 0).bytes == (255, 0, 0))
    }

    @Test func viridisEndpointsAreTheRealViridisColours() {
        #expect(ColorMap.viridis.color(at: 0) == RGB(hex: 0x440154))
        #expect(ColorMap.viridis.color(at: 1) == RGB(hex: 0xFDE725))
        #expect(ColorMap.viridis.color(at: 0).bytes == (0x44, 0x01, 0x54))
        #expect(ColorMap.viridis.color(at: 1).bytes == (0xFD, 0xE7, 0x25))
        #expect(ColorMap.viridis.stops.count >= 9)
        // Matplotlib's viridis at 0.5 is #21918C.
        #expect(ColorMap.viridis.color(at: 0.5) == RGB(hex: 0x21918C))
    }

    @Test(arguments: [ColorMap.viridis, ColorMap.diverging, ColorMap.greys])
    func endpointsEqualFirstAndLastStopsExactly(map: ColorMap) throws {
        let first = try #require(map.stops.first), last = try #require(map.stops.last)
        #expect(map.color(at: 0) == first)
        #expect(map.color(at: 1) == last)
        // Clamped outside 0...1, NaN is 0.
        #expect(map.color(at: -3) == first)
        #expect(map.color(at: 7) == last)
        #expect(map.color(at: .nan) == first)
        #expect(map.color(at: -.infinity) == first)
        #expect(map.color(at: .infinity) == last)
    }

    @Test func interpolationBetweenStopsIsLinearInSRGB() {
        let map = ColorMap(name: "test", stops: [RGB(red: 0, green: 0, blue: 0), RGB(red: 1, green: 0.5, blue: 0),
                                                RGB(red: 1, green: 1, blue: 1)])
        // Midpoint of the whole map is the middle stop exactly.
        #expect(map.color(at: 0.5) == RGB(red: 1, green: 0.5, blue: 0))
        // A quarter of the way is halfway between the first two stops.
        let q = map.color(at: 0.25)
        #expect(abs(q.red - 0.5) < 1e-12 && abs(q.green - 0.25) < 1e-12 && abs(q.blue) < 1e-12)
        // Three quarters: halfway between the last two.
        let t = map.color(at: 0.75)
        #expect(abs(t.red - 1) < 1e-12 && abs(t.green - 0.75) < 1e-12 && abs(t.blue - 0.5) < 1e-12)
        // Hand-checked on viridis: t = 0.05 is halfway between #440154 and #482475.
        let v = ColorMap.viridis.color(at: 0.05)
        #expect(abs(v.red * 255 - 70) < 1e-9)
        #expect(abs(v.green * 255 - 18.5) < 1e-9)
        #expect(abs(v.blue * 255 - 100.5) < 1e-9)
    }

    @Test func divergingIsBlueNegativeWhiteZeroRedPositive() {
        let low = ColorMap.diverging.color(at: 0), mid = ColorMap.diverging.color(at: 0.5)
        let high = ColorMap.diverging.color(at: 1)
        #expect(low.blue > low.red + 0.2)
        #expect(high.red > high.blue + 0.2)
        #expect(min(mid.red, mid.green, mid.blue) > 0.95)
        #expect(ColorMap.diverging.isCenteredAtZero)
        #expect(!ColorMap.viridis.isCenteredAtZero)
    }

    @Test func singleStopMapIsConstant() {
        let map = ColorMap(name: "one", stops: [RGB(hex: 0x336699)])
        #expect(map.color(at: 0) == RGB(hex: 0x336699))
        #expect(map.color(at: 0.7) == RGB(hex: 0x336699))
    }

    @Test func contrastingTextIsWhiteOnDarkAndDarkOnLight() {
        #expect(ColorMap.viridis.color(at: 0).contrastingTextColor == .white)
        #expect(ColorMap.viridis.color(at: 1).contrastingTextColor == FigureStyle.text)
        #expect(ColorMap.diverging.color(at: 0.5).contrastingTextColor == FigureStyle.text)
        #expect(ColorMap.diverging.color(at: 0).contrastingTextColor == .white)
    }
}

@Suite("Ticks and number formatting")
struct TickTests {
    @Test func niceTicksUseRoundSteps() {
        let ticks = niceTicks(from: 0, to: 1, maxCount: 6)
        #expect(ticks.count == 6)
        for (t, expected) in zip(ticks, [0, 0.2, 0.4, 0.6, 0.8, 1.0]) { #expect(abs(t - expected) < 1e-12) }
        #expect(niceTicks(from: -4.79, to: 4.79, maxCount: 6) == [-4, -2, 0, 2, 4])
        #expect(niceTicks(from: 0.003, to: 0.81, maxCount: 6).first.map { abs($0 - 0.2) < 1e-12 } == true)
    }

    @Test func niceRangeRoundsOutwardButKeepsExactBounds() {
        #expect(niceRange(0, 2.398) == 0...2.5)
        #expect(niceRange(0.07, 2.31) == 0...2.5)
        #expect(niceRange(-4, 4) == -4...4)
        #expect(niceRange(0, 1) == 0...1)
        #expect(niceRange(-3, 3) == -4...4)   // step 2
        let degenerate = niceRange(2, 2)
        #expect(degenerate.lowerBound < 2 && degenerate.upperBound > 2)
    }

    @Test func numbersUseARealMinusAndNoNegativeZero() {
        #expect(formatNumber(-1.5) == "−1.50")
        #expect(formatNumber(-0.001) == "0.00")
        #expect(formatNumber(0.456, format: "%.1f") == "0.5")
        #expect(formatNumber(-.infinity) == "−∞")
        #expect(formatNumber(.nan) == "NaN")
        #expect(decimals(forStep: 0.25) == 2)
        #expect(decimals(forStep: 0.2) == 1)
        #expect(decimals(forStep: 5) == 0)
    }

    @Test func numbersInFiguresHaveThousandsSeparators() {
        #expect(formatNumber(1000, format: "%.0f") == "1,000")
        #expect(formatNumber(-12345.6, format: "%.1f") == "−12,345.6")
        #expect(formatNumber(1234567, format: "%.0f%%") == "1,234,567%")
        #expect(formatNumber(999, format: "%.0f") == "999")
        #expect(formatNumber(0.0001, format: "%.4f") == "0.0001")
        #expect(formatNumber(1e6, format: "%g") == "1e+06")
        #expect(tickLabels([0, 2500, 5000, 7500]) == ["0", "2,500", "5,000", "7,500"])
    }
}
