import Explorer
import Foundation
import Testing
import Transformer

/// A decoder trace small enough to check by hand: 2 layers × 2 heads of causal self-attention
/// over four tokens, one of them Chinese (two columns wide).
func handTrace() -> AttentionTrace {
    let tokens = ["<s>", "我", "是", "cat"]
    let weights: [[[[Float]]]] = [
        [   // layer 1
            [[1, 0, 0, 0], [0.25, 0.75, 0, 0], [0.5, 0.1, 0.4, 0], [0.1, 0.2, 0.3, 0.4]],
            [[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0.2, 0.6, 0.2, 0], [0.7, 0.1, 0.1, 0.1]],
        ],
        [   // layer 2
            [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0.3, 0.3, 0.4, 0], [0.05, 0.15, 0.6, 0.2]],
            [[1, 0, 0, 0], [0.2, 0.8, 0, 0], [0.1, 0.1, 0.8, 0], [0.25, 0.25, 0.25, 0.25]],
        ],
    ]
    var trace = AttentionTrace(architecture: "decoder-only")
    for (layer, heads) in weights.enumerated() {
        for (head, matrix) in heads.enumerated() {
            trace.entries.append(.init(layer: layer, head: head, kind: .decoderSelf, queryTokens: tokens,
                                       keyTokens: tokens, weights: matrix))
        }
    }
    return trace
}

/// An encoder–decoder trace: encoder self (3 source tokens), decoder causal self and cross
/// (2 target tokens), 1 layer × 1 head each.
func encoderDecoderTrace() -> AttentionTrace {
    let source = ["我", "是", "猫"], target = ["<s>", "I"]
    return AttentionTrace(architecture: "encoder-decoder", entries: [
        .init(layer: 0, head: 0, kind: .encoderSelf, queryTokens: source, keyTokens: source,
              weights: [[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]),
        .init(layer: 0, head: 0, kind: .decoderSelf, queryTokens: target, keyTokens: target,
              weights: [[1, 0], [0.4, 0.6]]),
        .init(layer: 0, head: 0, kind: .cross, queryTokens: target, keyTokens: source,
              weights: [[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]]),
    ])
}

/// The text of columns `from..<to` of a row (a wide character once).
func cells(_ grid: ScreenGrid, row: Int, from: Int, to: Int) -> String {
    grid.cells[row][from..<to].map(\.text).joined()
}

func twoDecimals(_ value: Float) -> String { String(format: "%.2f", Double(value)) }

@Suite("The explorer's state: keys move through the trace")
struct ExplorerStateTests {
    @Test func keySequenceGivesLayerHeadAndQuery() throws {
        var state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        // Causal attention starts at the last token: the one that predicts the next.
        #expect(state.kind == .decoderSelf)
        #expect((state.layer, state.head, state.query) == (0, 0, 3))
        let keys: [ExplorerKey] = [.left, .down, .character("]"), .character("]"), .character("["), .character("h"),
                                   .character("l"), .up, .down, .down]
        for key in keys { #expect(state.handle(key) == .none) }
        // ] past the last head stays on it; ↓ past the last layer stays on it.
        #expect((state.layer, state.head, state.query) == (1, 0, 2))
        #expect(state.handle(.character("a")) == .none)
        #expect(state.averageHeads)
        // The mean of layer 2's heads for query "是", computed here from the trace itself.
        let trace = handTrace()
        let a = trace.weights(layer: 1, head: 0, kind: .decoderSelf)![2]
        let b = trace.weights(layer: 1, head: 1, kind: .decoderSelf)![2]
        let mean = zip(a, b).map { ($0 + $1) / 2 }
        #expect(state.currentWeights[2] == mean)
        // Top keys: strongest first, the masked key ("cat", after the query) left out.
        let top = state.topKeys(10)
        #expect(top.map(\.key) == [2, 0, 1])
        #expect(top.map(\.weight) == [mean[2], mean[0], mean[1]])
        #expect(state.maskedKeyCount == 1)
        // [ leaves the mean and returns to the head kept.
        _ = state.handle(.character("["))
        #expect(!state.averageHeads && state.head == 0)
        // The query never leaves the tokens.
        for _ in 0..<10 { _ = state.handle(.right) }
        #expect(state.query == 3)
        for _ in 0..<10 { _ = state.handle(.left) }
        #expect(state.query == 0)
    }

    @Test func commandsForTheProgram() throws {
        var state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        #expect(state.handle(.character("s")) == .savePNG)
        #expect(state.handle(.character("j")) == .saveJSON)
        #expect(state.handle(.character("n")) == .showCandidates)
        #expect(state.handle(.interrupt) == .interrupt)
        #expect(state.handle(.character("q")) == .quit)
        #expect(state.handle(.character("?")) == .none)
        #expect(state.overlay == .help)
        #expect(state.handle(.character("x")) == .none)   // any key closes the help
        #expect(state.overlay == .none)
        let candidates = [NextTokenCandidate(id: 5, label: "dog", probability: 0.6),
                          NextTokenCandidate(id: 9, label: "cat", probability: 0.3)]
        state.showCandidates(candidates)
        #expect(state.overlay == .candidates)
        _ = state.handle(.down)
        #expect(state.handle(.enter) == .append(candidates[1]))
        // An encoder has no next token: n explains instead of asking the program.
        var encoder = try ExplorerState(trace: handTrace(), modelName: "enc", canPredict: false)
        #expect(encoder.handle(.character("n")) == .none)
        #expect(encoder.status.contains("no next-token head"))
    }

    @Test func tabVisitsTheKindsOfAnEncoderDecoder() throws {
        var state = try ExplorerState(trace: encoderDecoderTrace(), modelName: "translator", canPredict: true)
        #expect(state.kinds == [.encoderSelf, .decoderSelf, .cross])
        #expect(state.kind == .cross)   // what sets an encoder–decoder apart
        #expect(state.query == 1)
        _ = state.handle(.tab)
        #expect(state.kind == .encoderSelf)
        #expect(state.keyTokens == ["我", "是", "猫"])
        _ = state.handle(.right)
        _ = state.handle(.right)
        #expect(state.query == 2)
        _ = state.handle(.tab)
        // The decoder has 2 tokens: the query moves onto the last.
        #expect(state.kind == .decoderSelf && state.query == 1)
        _ = state.handle(.backTab)
        #expect(state.kind == .encoderSelf)
        // Only causal self-attention masks keys.
        #expect(!state.isMasked(query: 0, key: 2))
        _ = state.handle(.tab)
        #expect(state.isMasked(query: 0, key: 1) && !state.isMasked(query: 1, key: 0))
    }

    @Test func aNewTraceKeepsLayerAndHeadAndMovesToTheNewToken() throws {
        var state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        _ = state.handle(.down)
        _ = state.handle(.character("]"))
        _ = state.handle(.left)
        var longer = handTrace()
        for index in longer.entries.indices {
            longer.entries[index].queryTokens.append("sat")
            longer.entries[index].keyTokens.append("sat")
            longer.entries[index].weights = longer.entries[index].weights.map { $0 + [0] } + [[0.2, 0.2, 0.2, 0.2, 0.2]]
        }
        try state.replaceTrace(longer)
        #expect((state.layer, state.head, state.query) == (1, 1, 4))
    }

    @Test func anIncompleteTraceIsAnError() throws {
        var trace = handTrace()
        trace.entries.remove(at: 1)   // layer 1 loses head 2
        #expect(throws: ExplorerError.self) { try ExplorerState(trace: trace, modelName: "x", canPredict: false) }
        #expect(throws: ExplorerError.emptyTrace) {
            try ExplorerState(trace: AttentionTrace(architecture: "x"), modelName: "x", canPredict: false)
        }
        var ragged = handTrace()
        ragged.entries[2].weights[1] = [1]
        #expect(throws: ExplorerError.self) { try ExplorerState(trace: ragged, modelName: "x", canPredict: false) }
    }
}

@Suite("The explorer's screen as text cells")
struct ExplorerRenderingTests {
    let renderer = ExplorerRenderer(color: false)

    @Test func heatmapRowsAndTopKeys() throws {
        let state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        let grid = renderer.render(state, width: 80, height: 24)
        #expect(grid.lines[0].hasPrefix(" test · causal self · layer 1/2 · head 1/2 · heatmap"))
        #expect(grid.lines[0].hasSuffix("? keys"))
        #expect(grid.lines[1] == "query 4/4: <s> 我 是 cat")
        // Layer 1, head 1, by hand: four columns per key (room allows), shades ░ < 0.2 ≤ ▒ < 0.4 ≤ ▓ < 0.7 ≤ █,
        // · for a key the query may not see. Labels take "▶ " + 3 + 1 columns.
        #expect(cells(grid, row: 2, from: 0, to: 22) == "key→  <s> 我  是  cat ")
        #expect(cells(grid, row: 3, from: 0, to: 22) == "  <s> ████············")
        #expect(cells(grid, row: 4, from: 0, to: 22) == "  我  ▒▒▒▒████········")
        #expect(cells(grid, row: 5, from: 0, to: 22) == "  是  ▓▓▓▓░░░░▓▓▓▓····")
        #expect(cells(grid, row: 6, from: 0, to: 22) == "▶ cat ░░░░▒▒▒▒▒▒▒▒▓▓▓▓")
        // The side panel: the chosen query's keys, strongest first, with weights from the trace.
        let row = handTrace().weights(layer: 0, head: 0, kind: .decoderSelf)![3]
        let panel = (2..<8).map { cells(grid, row: $0, from: 55, to: 80).trimmingCharacters(in: .whitespaces) }
        #expect(panel[0] == "query cat")
        #expect(panel[1] == "layer 1, head 1")
        #expect(panel[3].hasPrefix("cat          \(twoDecimals(row[3])) "))
        #expect(panel[4].hasPrefix("是           \(twoDecimals(row[2])) "))
        #expect(panel[5].hasPrefix("我           \(twoDecimals(row[1])) "))
        // A bar of 0.40 × 7 columns = 2.8 columns: two full blocks and 6/8 of one (▊, rounded from 6.4).
        #expect(panel[3].hasSuffix("██▊"))
    }

    @Test func meanOfHeadsAndMaskedKeysInThePanel() throws {
        var state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        for key: ExplorerKey in [.down, .left, .character("a")] { _ = state.handle(key) }
        let grid = renderer.render(state, width: 80, height: 24)
        #expect(grid.lines[0].contains("layer 2/2 · mean of 2 heads"))
        let trace = handTrace()
        let mean = (0..<4).map { k in
            (trace.weights(layer: 1, head: 0, kind: .decoderSelf)![2][k] + trace.weights(layer: 1, head: 1, kind: .decoderSelf)![2][k]) / 2
        }
        let panel = (2..<10).map { cells(grid, row: $0, from: 55, to: 80).trimmingCharacters(in: .whitespaces) }
        #expect(panel[1] == "mean of the heads")
        #expect(panel[3].hasPrefix("是           \(twoDecimals(mean[2]))"))
        #expect(panel[4].hasPrefix("<s>          \(twoDecimals(mean[0]))"))
        #expect(panel[5].hasPrefix("我           \(twoDecimals(mean[1]))"))
        // "cat" comes after "是": masked, listed as masked and not as 0.00.
        #expect(panel[6] == "masked (later tokens): 1")
        #expect(panel[7] == "cat")
        #expect(!grid.lines.joined().contains("0.00"))
    }

    @Test func linesViewFromTheQueryToEveryKey() throws {
        var state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        _ = state.handle(.left)             // query "是" (index 2)
        _ = state.handle(.character("v"))   // lines
        let grid = renderer.render(state, width: 80, height: 24)
        #expect(grid.lines[0].contains("· lines"))
        let row = handTrace().weights(layer: 0, head: 0, kind: .decoderSelf)![2]   // [0.5, 0.1, 0.4, 0]
        let main = (3..<7).map { cells(grid, row: $0, from: 0, to: 53).replacingOccurrences(of: " +$", with: "", options: .regularExpression) }
        // Left: the queries, the chosen one marked and joined to the trunk by a heavy stroke.
        #expect(main[2].hasPrefix("▶ 是  ━━━━━━━━━━━━"))
        // Right: each key with its weight; strokes by weight (━ ≥ 0.4, ╌ ≥ 0.05); the masked key has none.
        #expect(main[0].hasSuffix("━ <s>   \(twoDecimals(row[0]))"))
        #expect(main[1].hasSuffix("╌ 我    \(twoDecimals(row[1]))"))
        #expect(main[2].hasSuffix("━ 是    \(twoDecimals(row[2]))"))
        #expect(main[3].hasSuffix("     cat masked"))
        // The trunk: ┌ at the first key, ├ at the next, ┴ where the query's stroke meets the
        // last visible key, nothing beside the masked key.
        let trunk = (0..<53).first { grid.cells[5][$0].text == "┴" }
        #expect(trunk != nil)
        if let trunk {
            #expect((3..<7).map { grid.cells[$0][trunk].text } == ["┌", "├", "┴", " "])
        }
    }

    @Test func modelViewCursor() throws {
        var state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        for key: ExplorerKey in [.character("v"), .character("v"), .down, .character("]")] { _ = state.handle(key) }
        let grid = renderer.render(state, width: 80, height: 24)
        #expect(grid.lines[0].contains("layer 2/2 · head 2/2 · model view"))
        // 2 heads in 49 columns: thumbnails 16 wide (the most), 8 tall, one blank row between layers.
        #expect(cells(grid, row: 2, from: 0, to: 25) == "L\\H 1                2   ")
        // Layer 2 starts at row 3 + 9; the cursor brackets head 2 (columns 21…36) on each of its rows.
        for row in 12..<20 {
            #expect(grid.cells[row][20].text == "[")
            #expect(grid.cells[row][37].text == "]")
        }
        #expect(grid.cells[3][20].text != "[")
        // The top-left character of layer 1, head 1 covers query 0 and key 0: weight 1 → █.
        #expect(grid.cells[3][4].text == "█")
        // Its top-right character covers query 0 and key 3, which query 0 may not see.
        #expect(grid.cells[3][19].text == "·")
    }

    @Test func candidatesOverlay() throws {
        var state = try ExplorerState(trace: handTrace(), modelName: "test", canPredict: true)
        state.showCandidates([NextTokenCandidate(id: 1, label: "␣Paris", probability: 0.4213),
                              NextTokenCandidate(id: 2, label: "␣a", probability: 0.05)])
        _ = state.handle(.down)
        let grid = renderer.render(state, width: 80, height: 24)
        let text = grid.lines.joined(separator: "\n")
        #expect(text.contains("1.  ␣Paris" + String(repeating: " ", count: 12) + "42.1%"))
        #expect(text.contains("2.  ␣a" + String(repeating: " ", count: 17) + "5.0%"))
        // The chosen line is drawn in reverse video.
        let row = grid.lines.firstIndex { $0.contains("␣a ") }!
        let column = Array(grid.text(row: row)).firstIndex(of: "2")!
        #expect(grid.cells[row][column].style.reverse)
    }
}
