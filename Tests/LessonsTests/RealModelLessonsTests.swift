import Analysis
import Foundation
import Figures
import ModelIO
import Terminal
import Testing
@testable import Lessons

/// Lessons 1 and 14 on the real models (enabled only where scripts/fetch-models.sh has run).
@Suite("Lessons 1 and 14: real models", .serialized)
struct RealModelLessonsTests {
    static let lessons = [1, 14]
    static let minilm = ModelStore.isInstalled(.minilm)
    static let smollm2 = ModelStore.isInstalled(.smollm2)

    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("real-\(UUID().uuidString)").path
    }

    // Without the models both lessons return one page saying how to get them: that path is
    // tested through the tx binary with TX_MODELS_DIR in the child's environment
    // (RealModelCLITests), never by changing this process's environment, which every test
    // running in parallel shares.

    @Test(.enabled(if: minilm, "needs scripts/fetch-models.sh"))
    func lessonOneShowsQueenAndTheBankOrdering() throws {
        let root = folder()
        let run = try LessonCatalog.lookup("1").run(LessonContext(seed: 7, outputRoot: root))
        #expect(run.steps.count == 6)
        #expect(run.figures.map { ($0 as NSString).lastPathComponent } == ["01-king-queen-pca.png", "02-bank-cosines.png"])
        let arithmetic = try #require(run.steps.first { $0.title == "king − man + woman" })
        // The first neighbour of king − man + woman, by cosine, is queen (0.511).
        #expect(arithmetic.body.contains("1.  queen         0.511"))
        #expect(arithmetic.body.contains("\"queen\" comes first"))
        let tokens = try #require(run.steps.first { $0.title.hasPrefix("WordPiece") })
        #expect(tokens.body.contains("##ization"))
        #expect(tokens.body.contains("[UNK]"))
        // The contextual "bank": the money senses are closest, river and deposit farthest, and the
        // static table row is far from all three.
        let bank = try #require(run.steps.last)
        #expect(bank.body.contains("The closest pair is deposit and loan (0.892)"))
        #expect(bank.body.contains("the farthest river and deposit (0.768)"))
        #expect(bank.body.contains("cosines 0.445, 0.411, 0.401"))
        try expectReproducible(run, lesson: "1", root: root)
    }

    @Test(.enabled(if: minilm, "needs scripts/fetch-models.sh"))
    func theItSearchScoresEveryHeadAndFindsLayerFiveHeadOne() throws {
        let model = try BertEncoderModel.loadInstalled()
        let tired = try #require(try model.forward(ids: model.encode(RealModelLesson.tired), recordTrace: true).trace)
        let wide = try #require(try model.forward(ids: model.encode(RealModelLesson.wide), recordTrace: true).trace)
        let ranked = RealModelLesson.rankHeads(tired: tired, wide: wide)
        #expect(ranked.count == 6 * 12)
        let best = try #require(ranked.first)
        #expect(best.layer == 4 && best.head == 0)
        #expect(abs(best.toAnimal - 0.115) < 0.001 && abs(best.toStreet - 0.192) < 0.001)
        #expect(best.followsMeaning)
        #expect(ranked.filter(\.followsMeaning).count == 6)
        // Heads that follow the meaning come first.
        let firstNot = ranked.firstIndex { !$0.followsMeaning } ?? ranked.count
        #expect(ranked[firstNot...].allSatisfy { !$0.followsMeaning })
    }

    /// The rollout figure's panels share one colour scale, from 0 to the largest value of any
    /// panel rounded up to a fifth (so both ends are colour-bar ticks), and title their key axis.
    @Test func rolloutPanelsShareOneColourScale() throws {
        #expect(RolloutFigure.sharedTop([[0.51]], [[0.58]]) == 0.6)
        #expect(RolloutFigure.sharedTop([[0.4]]) == 0.4)
        #expect(RolloutFigure.sharedTop([[0.01]]) == 0.2)
        #expect(RolloutFigure.sharedTop([[0.3]], [[1.0]]) == 1)
        let chart = RolloutFigure.make(title: "t", subtitle: "s", labels: ["a", "b"], query: 1,
                                       raw: [[0.2, 0.51], [0.3, 0.1]], rollout: [[0.58, 0.1], [0.4, 0.2]])
        let maps = chart.panels.compactMap { $0 as? Heatmap }
        #expect(maps.count == 2)
        for map in maps {
            #expect(map.resolvedRange == 0...Double(Float(0.6)))
            #expect(map.xAxisTitle == AttentionAxisTitles.key && map.yAxisTitle.isEmpty)
        }
        #expect(maps[0].subtitle.contains("0 to 0.6"))
    }

    @Test(.enabled(if: minilm && smollm2, "needs scripts/fetch-models.sh"))
    func lessonFourteenDrawsBothModels() throws {
        let root = folder()
        let run = try LessonCatalog.lookup("14").run(LessonContext(seed: 7, outputRoot: root))
        #expect(run.steps.count == 6)
        #expect(run.figures.map { ($0 as NSString).lastPathComponent } == [
            "01-minilm-model-view.png", "02-head-view-tired.png", "03-head-view-wide.png",
            "04-best-head-tired.png", "05-best-head-wide.png", "06-rollout-it.png",
            "07-smollm2-head.png", "08-smollm2-model-view.png"])
        // The rollout step states the rollout of "it" that Analysis computes from the same trace.
        let rolloutStep = try #require(run.steps.first { $0.title == "What rollout changes for \"it\"" })
        let minilm = try BertEncoderModel.loadInstalled()
        let tokens = minilm.tokenize(RealModelLesson.tired)
        let tiredTrace = try #require(try minilm.forward(ids: minilm.encode(RealModelLesson.tired), recordTrace: true).trace)
        let layers = (0..<6).map { l in (0..<12).map { h in tiredTrace.weights(layer: l, head: h, kind: .encoderSelf)! } }
        let it = try #require(tokens.firstIndex(of: "it"))
        let rolled = AttentionRollout.rollout(layers)[5][it]
        let prose = rolloutStep.body.replacingOccurrences(of: "\n", with: " ")
        #expect(prose.contains("[CLS] \(formatNumber(Float(rolled[0]), decimals: 2))"))
        #expect(prose.contains("\"animal\" \(formatNumber(Float(rolled[tokens.firstIndex(of: "animal")!]), decimals: 2))"))
        #expect(FileManager.default.fileExists(atPath: root + "/14-real-model/minilm-attention.html"))
        let text = run.steps.map(\.body).joined(separator: "\n")
        #expect(text.contains("The clearest head is layer 5, head 1"))
        #expect(text.contains("1. \" Paris\""))
        #expect(text.contains("layer 24, head 5"))
        // The inside step: RoPE as written in the lesson equals the model's own rotation, q·k
        // depends only on the distance, and the grouped-query and SwiGLU shapes are the file's.
        let inside = flat(try #require(run.steps.last).body)
        let model = try LlamaModel.loadInstalled()
        let ids = model.tokenizer.encode(RealModelLesson.prompt)
        let look = try model.inspectFirstLayer(ids: ids)
        let hd = model.configuration.headDimension, last = ids.count - 1, base = model.configuration.ropeFrequencyBase
        let ours = RealModelLesson.rotate(Array(look.queryBeforeRotation[last][0..<hd]), position: last, base: base)
        #expect(zip(ours, look.queryAfterRotation[last][0..<hd]).allSatisfy { abs($0 - $1) < 1e-5 })
        let q = Array(look.queryBeforeRotation[last][0..<hd]), k = Array(look.keyAfterRotation[0][0..<hd])
        let near = RealModelLesson.dot(RealModelLesson.rotate(q, position: 4, base: base), RealModelLesson.rotate(k, position: 0, base: base))
        let far = RealModelLesson.dot(RealModelLesson.rotate(q, position: 104, base: base), RealModelLesson.rotate(k, position: 100, base: base))
        #expect(abs(near - far) < 1e-3 * max(1, abs(near)))
        // The pairs are numbered as in the formula, from 0, and each angle is position · θ^(−2i/64).
        #expect(inside.contains("cut into 32 pairs, numbered i = 0 to 31, and pair i is rotated by the angle position · θ^(−2i/64)"))
        for i in [0, 16, 31] {
            let angle = Float(Double(last) * pow(Double(base), -2 * Double(i) / Double(hd)))
            #expect(inside.contains("i = \(i < 10 ? " " : "")\(i)  angle \(formatNumber(angle, decimals: 4)) rad")
                    || inside.contains("i = \(i < 10 ? " " : "")\(i)  angle  \(formatNumber(angle, decimals: 4)) rad")
                    || inside.contains("i = \(i < 10 ? " " : "")\(i)  angle   \(formatNumber(angle, decimals: 4)) rad"), "pair \(i)")
        }
        #expect(inside.contains("attn_q is 576 × 576: 9 query heads of 64"))
        #expect(inside.contains("attn_k and attn_v are only 192 × 576: 3 key/value heads"))
        #expect(inside.contains("query heads 1–3 → key/value head 1"))
        #expect(inside.contains("from 34,560 to 11,520 numbers per token"))
        #expect(inside.contains("3 · 576 · 1,536 = 2,654,208 parameters, exactly as many as"))
        let negative = look.gate.filter { $0 < 0 }.count
        // Counts are printed with thousands separators (1,413).
        let printed = negative >= 1000 ? "\(negative / 1000),\(String(format: "%03d", negative % 1000))" : "\(negative)"
        #expect(inside.contains("\(printed) of the 1,536 gate values are negative"))
        #expect(look.shapes.first { $0.name == "ffn_gate" }?.shape == [1536, 576])
        // The lesson ends by naming the explorer command for what it showed.
        #expect(run.steps.last?.body.hasSuffix(RealModelLesson.exploreLine + "\n\n" + (try LessonCatalog.lookup("14")).nextLine) == true)
        #expect(RealModelLesson.exploreLine.contains("tx explore --model smollm2 --text \"The capital of France is\""))
        // The model views: 6 × 12 thumbnails for MiniLM, 4 layers × 9 heads for SmolLM2, written at
        // the size of exactly those charts.
        let bert = try BertEncoderModel.loadInstalled()
        let trace = try #require(try bert.forward(ids: bert.encode(RealModelLesson.tired), recordTrace: true).trace)
        let minilmView = RealModelLesson.encoderModelView(trace, layers: 6, heads: 12)
        #expect(minilmView.layerCount == 6 && minilmView.headCount == 12)
        #expect(try pngSize(run.figures[0]) == pixels(minilmView))
        let llama = try LlamaModel.loadInstalled()
        let decoderTrace = try #require(try llama.forward(ids: llama.tokenizer.encode(RealModelLesson.prompt), recordTrace: true).trace)
        let smolView = RealModelLesson.decoderModelView(decoderTrace, layers: RealModelLesson.decoderLayers, of: 30, heads: 9)
        #expect(smolView.layerCount == 4 && smolView.headCount == 9)
        #expect(smolView.resolvedLayerLabels == ["Layer 1", "Layer 11", "Layer 21", "Layer 30"])
        #expect(try pngSize(run.figures[7]) == pixels(smolView))
        // The attention sink, recomputed: per drawn layer, the heads whose mean weight on the first
        // token (queries from the third on) is at least 0.5, as the decoder step lists them.
        let decoderText = flat(text)
        for layer in RealModelLesson.decoderLayers {
            let strong = (0..<9).filter { head in
                let rows = decoderTrace.weights(layer: layer, head: head, kind: .decoderSelf)!.dropFirst(2)
                return rows.map { Double($0[0]) }.reduce(0, +) / Double(rows.count) >= 0.5
            }
            let heads = strong.isEmpty || strong.count == 9 ? ""
                : " (head\(strong.count == 1 ? "" : "s") " + strong.map { "\($0 + 1)" }.joined(separator: ", ") + ")"
            #expect(decoderText.contains("layer \(layer + 1), \(strong.count) of 9\(heads)"), "layer \(layer + 1)")
        }
        try expectReproducible(run, lesson: "14", root: root)
    }

    @Test(.enabled(if: smollm2, "needs scripts/fetch-models.sh"))
    func lessonZeroEndsWithSmolLM2PlayingTheSameGame() throws {
        let run = try LessonCatalog.lookup("0").run(LessonContext(seed: 7, outputRoot: folder()))
        let real = try #require(run.steps.last)
        #expect(real.title == "The same game, played by a real model")
        // After "… there was a little", SmolLM2 puts 0.383 on " girl", 0.234 on " town".
        #expect(real.body.contains("␣girl     █████████▎                0.383  ← chosen"))
        #expect(real.body.contains("␣town     █████▋                    0.234"))
        #expect(real.body.contains("Result: \"Once upon a time, there was a little girl named Emma who loved to play"))
        #expect(run.figures.last.map { ($0 as NSString).lastPathComponent } == "10-smollm2-next-token.png")
    }

    // MARK: Helpers

    /// A second run writes byte-identical figures, each named in the text.
    func expectReproducible(_ run: LessonRun, lesson: String, root: String) throws {
        let other = folder()
        // The second run also checks every figure's layout (text on the canvas, no collisions).
        let log = RenderLog()
        let again = try RenderLog.$current.withValue(log) {
            try LessonCatalog.lookup(lesson).run(LessonContext(seed: 7, outputRoot: other))
        }
        // One width per kind, and the posters readable on a slide.
        for fault in figureLayoutFaults(log) + figureWidthFaults(log) + seriesWidthFaults(log) + seriesHeightFaults(log) + slideTextFaults(log)
            + missingPosters(log, lesson: try LessonCatalog.lookup(lesson).directoryName) { Issue.record("\(fault)") }
        #expect(again.figures.count == run.figures.count)
        // Printed at 80 columns, no line is wider.
        let wide = overlong(run, width: 80, root: root)
        #expect(wide.isEmpty, "lesson \(lesson) at 80 columns:\n\(wide.joined(separator: "\n"))")
        let text = run.steps.map(\.body).joined(separator: "\n")
        for (a, b) in zip(run.figures, again.figures) {
            #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b), "\(a)")
            #expect(text.contains(a))
        }
    }

    /// Width and height of a PNG file, from its IHDR chunk.
    func pngSize(_ path: String) throws -> [Int] {
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        try #require(bytes.count > 24 && Array(bytes[12..<16]) == [0x49, 0x48, 0x44, 0x52])
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return [be32(16), be32(20)]
    }

    /// The pixel size a chart is rendered at by the lessons (scale 2, its kind's published width).
    func pixels(_ chart: any Chart) -> [Int] {
        let size = PublishedFigure(chart).preferredSize
        return [Int((size.width * 2).rounded()), Int((size.height * 2).rounded())]
    }
}
