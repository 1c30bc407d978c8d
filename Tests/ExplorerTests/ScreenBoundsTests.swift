import Explorer
import Foundation
import Terminal
import Testing
import Transformer

/// A minimal terminal that follows what the explorer writes: absolute cursor moves, style and
/// erase sequences, printable text. Anything else (a newline, a carriage return, another
/// escape) is recorded as a violation, as is any character that would land past the last column
/// or row.
struct VirtualTerminal {
    let width: Int, height: Int
    var row = 0, column = 0
    var violations: [String] = []

    mutating func feed(_ output: String) {
        var scalars = Array(output.unicodeScalars)[...]
        while let scalar = scalars.first {
            if scalar == "\u{1B}" {
                scalars = scalars.dropFirst()
                guard scalars.first == "[" else { violations.append("ESC not followed by ["); continue }
                scalars = scalars.dropFirst()
                var parameters = ""
                while let p = scalars.first, !(0x40...0x7E).contains(p.value) {
                    parameters.unicodeScalars.append(p)
                    scalars = scalars.dropFirst()
                }
                guard let final = scalars.first else { violations.append("unfinished escape"); break }
                scalars = scalars.dropFirst()
                switch final {
                case "H":
                    let numbers = parameters.split(separator: ";").compactMap { Int($0) }
                    row = (numbers.first ?? 1) - 1
                    column = (numbers.count > 1 ? numbers[1] : 1) - 1
                    if row >= height || column >= width { violations.append("cursor moved to \(row + 1);\(column + 1)") }
                case "m", "K": break
                default: violations.append("unexpected sequence ESC[\(parameters)\(final)")
                }
                continue
            }
            // One character (grapheme) at a time.
            var character = String(scalar)
            scalars = scalars.dropFirst()
            while let next = scalars.first, next.properties.generalCategory == .nonspacingMark {
                character.unicodeScalars.append(next)
                scalars = scalars.dropFirst()
            }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                violations.append("control character \(scalar.value) written")
                continue
            }
            let w = displayWidth(character)
            if row >= height || column + w > width {
                violations.append("\"\(character)\" written at \(row + 1);\(column + 1) on a \(width)×\(height) screen")
            }
            column += w
        }
    }
}

/// A trace with everything that could break the layout: 64 tokens, long labels, Chinese,
/// byte-level tokens with ␣, and labels holding control characters and an escape sequence.
func stressTrace(kinds: [AttentionKind], layers: Int = 2, heads: Int = 12) -> AttentionTrace {
    var labels = (0..<64).map { i -> String in
        switch i % 6 {
        case 0: "␣token\(i)"
        case 1: "我们每天在学校画一朵花"
        case 2: "a-very-long-label-that-will-not-fit-\(i)"
        case 3: "\u{1B}[31mred\n\(i)"
        case 4: "e\u{301}\t"
        default: "猫"
        }
    }
    labels[0] = "<s>"
    var trace = AttentionTrace(architecture: "test")
    for kind in kinds {
        for layer in 0..<layers {
            for head in 0..<heads {
                let weights = (0..<64).map { q in
                    (0..<64).map { k -> Float in
                        if kind == .decoderSelf { return k <= q ? 1 / Float(q + 1) : 0 }
                        return Float((q * 7 + k * 3 + head + layer) % 11) / 55
                    }
                }
                trace.entries.append(.init(layer: layer, head: head, kind: kind, queryTokens: labels,
                                           keyTokens: labels, weights: weights))
            }
        }
    }
    return trace
}

@Suite("The explorer never draws outside the screen")
struct ScreenBoundsTests {
    func check(_ state: ExplorerState, width: Int, height: Int, color: Bool) -> [String] {
        let grid = ExplorerRenderer(color: color).render(state, width: width, height: height)
        #expect(grid.width == width && grid.height == height)
        var terminal = VirtualTerminal(width: width, height: height)
        terminal.feed(grid.ansi(color: color))
        return terminal.violations
    }

    @Test(arguments: [(80, 24), (160, 50), (40, 10), (20, 5), (81, 25)])
    func everyViewAndOverlayFits(width: Int, height: Int) throws {
        for kinds in [[AttentionKind.decoderSelf], [.encoderSelf, .decoderSelf, .cross]] {
            var state = try ExplorerState(trace: stressTrace(kinds: kinds), modelName: "a model with a rather long name indeed",
                                          canPredict: true)
            let script: [ExplorerKey] = [.right, .right, .right, .character("v"), .left, .character("v"), .down,
                                         .character("]"), .character("a"), .character("v"), .tab, .character("?")]
            for (step, key) in script.enumerated() {
                _ = state.handle(key)
                let color = step % 2 == 0   // each view is drawn with and without colour along the way
                let violations = check(state, width: width, height: height, color: color)
                #expect(violations.isEmpty, "\(width)×\(height) \(state.view) colour \(color): \(violations.prefix(3))")
            }
            state.showCandidates((0..<10).map { NextTokenCandidate(id: $0, label: "我们\u{1B}x\($0)", probability: 0.1) })
            for color in [false, true] {
                #expect(check(state, width: width, height: height, color: color).isEmpty)
            }
            state.status = String(repeating: "saved a very long path 我们 ", count: 20)
            _ = state.handle(.escape)
            #expect(check(state, width: width, height: height, color: false).isEmpty)
        }
    }

    @Test func theVirtualTerminalCatchesAnOverflow() {
        // The checker itself must fail on what it is there to catch.
        var terminal = VirtualTerminal(width: 4, height: 2)
        terminal.feed("\u{1B}[1;1Habc我")
        #expect(terminal.violations.count == 1)
        var scrolled = VirtualTerminal(width: 4, height: 2)
        scrolled.feed("ab\ncd")
        #expect(scrolled.violations.count == 1)
    }
}

@Suite("Cells and keys")
struct ScreenGridTests {
    @Test func wideCharactersAndControlCharacters() {
        var grid = ScreenGrid(width: 5, height: 1)
        let end = grid.put("ab我是", row: 0, column: 0)
        // "我" fits in columns 2–3; "是" would need 4–5: column 4 is left blank.
        #expect(end == 5)
        #expect(grid.lines == ["ab我"])
        grid.put("\u{1B}\n", row: 0, column: 0)
        #expect(grid.lines == ["␛␊我"])
        // Overwriting the right half of a wide character blanks its left half.
        grid.put("x", row: 0, column: 3)
        #expect(grid.lines == ["␛␊ x"])
        // Nothing lands outside.
        grid.put("zzz", row: 0, column: 4)
        grid.put("zzz", row: 1, column: 0)
        #expect(grid.lines == ["␛␊ xz"])
    }

    @Test func keysFromTerminalBytes() {
        let keys = KeyDecoder().keys(Array("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D\u{1B}OA\t\u{1B}[Z\r\u{03}q[]\u{1B}".utf8))
        #expect(keys == [.up, .down, .right, .left, .up, .tab, .backTab, .enter, .interrupt,
                         .character("q"), .character("["), .character("]"), .escape])
        // Unknown sequences (F5) and non-ASCII bytes are dropped.
        #expect(KeyDecoder().keys(Array("\u{1B}[15~é?".utf8)) == [.character("?")])
    }
}
