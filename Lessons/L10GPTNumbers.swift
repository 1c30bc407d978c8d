import Figures
import Foundation
import Localization
import Terminal
import Transformer
import Catalog

/// Lesson 10: the GPT family (and BERT, and the original Transformer) in numbers: configurations,
/// parameter counts computed from the weight shapes, and how they compare with the published ones.
struct GPTNumbersLesson {
    let context: LessonContext

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("gpt-numbers")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine, g = narrator.grouped
        var steps: [PagerStep] = []
        let catalog = PublishedModel.catalog
        func model(_ name: String) -> PublishedModel { PublishedModel.named(name)! }

        // Growth factors from the published sizes of the largest model of each generation.
        let gpt1 = model("gpt-1"), gpt2 = model("gpt2-xl"), gpt3 = model("gpt3-175b")
        let growth2 = Double(gpt2.publishedParameters) / Double(gpt1.publishedParameters)
        let growth3 = Double(gpt3.publishedParameters) / Double(gpt2.publishedParameters)
        steps.append(PagerStep(title: localized("From 117 million to 175 billion"), body: prose("""
            Three years, three GPTs, each far larger than the last: the largest GPT-2 \
            (\(gpt2.publishedLabel)) is \(Self.times(growth2)) GPT-1 (\(gpt1.publishedLabel)), and GPT-3 \
            (\(gpt3.publishedLabel)) is \(Self.times(growth3)) that GPT-2.

            - GPT-1 (2018): 12 decoder layers, d_model 768, 12 heads, feed-forward 3072, about 117 \
            million parameters, trained on BooksCorpus (about 7,000 unpublished books). Pre-train on \
            plain text, then fine-tune per task.
            - GPT-2 (2019): up to 48 layers and 1.5 billion parameters, trained on WebText (40 GB of \
            web pages linked from Reddit). The paper's four sizes: 117M (12 layers, d 768), 345M \
            (24, 1024), 762M (36, 1280) and 1542M (48, 1600). It moved layer norm to the input of \
            each sub-block (pre-norm) and added a final one.
            - GPT-3 (2020): 96 layers, d_model 12,288, 96 heads, 175 billion parameters, and the \
            discovery that a big enough model learns a task from a few examples in its prompt \
            (in-context learning, lesson 11).

            BERT (2018), an encoder, came in two sizes: base (12 layers, 768, 110M) and large (24, \
            1024, 340M). This lesson computes every one of these counts from the shapes of the \
            weight matrices and sets it beside the published figure.
            """)))

        steps.append(PagerStep(title: localized("The configurations and their counts"), body: prose("""
            Every count below is the sum of the sizes of the model's weight tensors (embeddings, \
            position table, per layer Q/K/V/O and feed-forward weights and biases, layer norms, \
            BERT's token-type table and pooler, an output layer only where it is not shared with \
            the token table). L = layers (encoder + decoder for the Transformer), d = d_model, h = heads, \
            d_ff = feed-forward width, ctx = context length, paper = the published count, both \
            counts in millions (M), ratio = computed / paper.
            """) + "\n\n" + ModelSizes.table(catalog, style: context.style, inMillions: true)))

        // Where the parameters go.
        let small = model("gpt2-small"), huge = model("gpt3-175b")
        func describe(_ m: PublishedModel) -> String {
            let b = ModelSizes.breakdown(m)
            return zip(ModelSizes.Breakdown.categories, [b.embeddings, b.attention, b.feedForward, b.normsAndOther]).map { name, count in
                "    " + pad(ModelSizes.Breakdown.localized(name), to: 24) + pad(g(count), to: 16, alignRight: true) + "  "
                    + pad(formatNumber(Float(Double(count) / Double(b.total) * 100), decimals: 1) + "%", to: 6, alignRight: true)
            }.joined(separator: "\n")
        }
        let d = small.modelDimension, v = small.vocabularySize
        let shareModels = ["gpt2-small", "bert-base", "gpt2-xl", "gpt3-175b"].map(model)
        let palette: [UInt32] = [0x9ECAE1, 0x4292C6, 0x2171B5, 0x08306B]
        let sharesPath = try figures.write(GroupedBarChart(
            title: localized("Where the parameters are"),
            subtitle: localized("share of each model's parameters, counted from its weight shapes"),
            categories: ModelSizes.Breakdown.categories.map(ModelSizes.Breakdown.localized),
            series: shareModels.enumerated().map { index, m in
                .init(name: m.displayName, values: ModelSizes.breakdown(m).shares.map { $0 * 100 }, color: RGB(hex: palette[index]))
            }, yLabel: localized("percent of all parameters"), valueFormat: "%.1f", yRange: 0...100), as: "01-where-parameters-go.png")
        steps.append(PagerStep(title: localized("Where the parameters go"), body: prose("""
            GPT-2 small (\(g(small.computedParameters))):
            """) + "\n\n" + describe(small) + "\n\n" + prose("""
            Its token table alone is \(v) × \(d) = \(g(v * d)), \(Self.percent(v * d, of: small.computedParameters)) \
            of the model; the same table is \
            reused as the output layer (tied), so it is counted once. Each of the 12 layers holds \
            4·(d² + d) = \(g(4 * (d * d + d))) for attention and 2·d·4d + 5d = \(g(8 * d * d + 5 * d)) for the \
            feed-forward layer.

            GPT-3 175B (\(g(huge.computedParameters))):
            """) + "\n\n" + describe(huge) + "\n\n" + prose("""
            At this size the embeddings hardly matter (\(Self.percent(ModelSizes.breakdown(huge).embeddings, of: huge.computedParameters))): \
            each layer is about 12·d² (4d² attention + 8d² feed-forward), and \(huge.layers) layers × 12 × \
            \(g(huge.modelDimension))² ≈ \(ModelSizes.short(12 * huge.layers * huge.modelDimension * huge.modelDimension)). \
            Making a model wider \
            grows it with the square of d_model; deeper, only linearly with the layer count.
            """) + "\n\n" + figureLine(sharesPath)))

        // The rule of thumb.
        let ruleRows = catalog.filter { $0.architecture == .decoderOnly }.map { m -> String in
            let rule = 12 * m.layers * m.modelDimension * m.modelDimension + m.vocabularySize * m.modelDimension
            return "    " + pad(m.displayName, to: 14) + pad(ModelSizes.millions(m.computedParameters), to: 11, alignRight: true)
                + pad(ModelSizes.millions(rule), to: 11, alignRight: true)
                + pad(formatNumber(Float(Double(rule) / Double(m.computedParameters)), decimals: 3), to: 8, alignRight: true)
        }.joined(separator: "\n")
        // Whether the rule's ratio rises with size inside every family (GPT-2 …, GPT-3 …).
        let decoders = catalog.filter { $0.architecture == .decoderOnly }
        let ruleImprovesWithSize = Dictionary(grouping: decoders, by: \.family)
            .values.allSatisfy { family in
                let ratios = family.sorted { $0.computedParameters < $1.computedParameters }.map { m in
                    Double(12 * m.layers * m.modelDimension * m.modelDimension + m.vocabularySize * m.modelDimension)
                        / Double(m.computedParameters)
                }
                return zip(ratios, ratios.dropFirst()).allSatisfy { $0 <= $1 + 1e-12 }
            }
        func ruleRatio(_ name: String) -> (ratio: Double, context: Int)? {
            guard let m = decoders.first(where: { $0.displayName == name }), let context = m.contextLength else { return nil }
            return (Double(12 * m.layers * m.modelDimension * m.modelDimension + m.vocabularySize * m.modelDimension)
                    / Double(m.computedParameters), context)
        }
        let ruleLead = ruleImprovesWithSize
            ? localized("Within each family (GPT-2, GPT-3), the larger the model, the better the rule")
            : localized("The rule is close for every model, though not always closer for a larger one")
        var ruleConclusion: LocalizedText = """
            \(ruleLead): what it leaves out (biases, norms, the position table) grows only linearly with d_model, \
            its main term with the square.
            """
        if let gpt1 = ruleRatio("GPT-1"), let small = ruleRatio("GPT-3 Small"), gpt1.ratio > small.ratio, small.context > gpt1.context {
            ruleConclusion = """
                \(ruleLead): what it leaves out (biases, norms, the position table) grows only linearly with d_model, \
                its main term with the square. Across families the position table counts: GPT-3 Small reads \
                \(g(small.context)) positions, GPT-1 only \(g(gpt1.context)), so the rule misses more of GPT-3 Small \
                although it is the larger model.
                """
        }
        steps.append(PagerStep(title: localized("A rule of thumb: 12·L·d² + V·d"), body: prose("""
            Dropping biases, norms and the position table leaves a formula you can do in your head: \
            parameters ≈ 12 · layers · d_model² + vocabulary · d_model. \
            Below, counted = the exact count of the configurations table, rule = the formula, both in millions, and \
            ratio = rule / counted: the share of the parameters the rule catches.
            """) + "\n\n" + context.style.bold(localized("    model         counted M     rule M   ratio")) + "\n" + ruleRows
            + "\n\n" + prose(ruleConclusion)))

        // Computed vs published.
        let differing = catalog.filter { m in
            m.publishedParameters > 0 && abs(Double(m.computedParameters) / Double(m.publishedParameters) - 1) > 0.015
        }
        // The catalog's notes are English text; each is translated whole, as a template of its own.
        let notes = differing.map { localized("- \($0.displayName): computed \(ModelSizes.millions($0.computedParameters))M, published \(ModelSizes.millions($0.publishedParameters))M. \(LocalizedText(template: $0.notes))") }
            .joined(separator: "\n")
        steps.append(PagerStep(title: localized("Why some counts differ from the papers"), body: prose("""
            Most counts match the published figure to within a percent or two. Where they do not \
            (more than 1.5% apart), the reason is known:

            \(notes)
            """)))

        // Charts.
        let families: [(String, UInt32)] = [("GPT-1", 0x7F7F7F), ("GPT-2", 0x2166AC), ("GPT-3", 0xB2182B), ("BERT", 0x1B7837), ("Transformer", 0xE08214)]
        func groups(x: (PublishedModel) -> Double) -> [ScatterChart.Group] {
            families.compactMap { family, color in
                let members = catalog.filter { $0.family == family }
                guard !members.isEmpty else { return nil }
                return ScatterChart.Group(name: family, points: members.map {
                    ScatterChart.Point(x: x($0), y: Double($0.computedParameters),
                                       label: $0.displayName.replacingOccurrences(of: "GPT-3 ", with: ""))
                }, color: RGB(hex: color), connect: members.count > 1)
            }
        }
        let formatter: @Sendable (Double) -> String = { ModelSizes.short(Int($0.rounded())) }
        let depthPath = try figures.write(ScatterChart(
            title: localized("Parameters against depth"), subtitle: localized("computed from the weight shapes; log scale"),
            xLabel: localized("layers (per stack)"), yLabel: localized("parameters"), groups: groups { Double($0.layers) },
            xScale: .linear, yScale: .log10, valueFormatter: formatter), as: "02-params-vs-layers.png")
        let slopes = ["GPT-2", "GPT-3"].map { family in
            (family, Self.logSlope(catalog.filter { $0.family == family }.map { (Double($0.modelDimension), Double($0.computedParameters)) }))
        }
        // "GPT-2 2.7, GPT-3 2.4": each comma is translated with the list.
        let slopeText = slopes.map { "\($0.0) " + formatNumber(Float($0.1), decimals: 1) }.reduce("") { $0.isEmpty ? $1 : localized("\($0), \($1)") }
        let widthPath = try figures.write(ScatterChart(
            title: localized("Parameters against width"),
            subtitle: localized("both axes log scale; fitted slope \(slopeText): above 2 (d_model² alone) because depth grows too"),
            xLabel: "d_model", yLabel: localized("parameters"), groups: groups { Double($0.modelDimension) },
            xScale: .log10, yScale: .log10, valueFormatter: formatter), as: "03-params-vs-width.png")
        let xl = model("gpt2-xl")
        var factorLines: [String] = []
        for (a, b) in [(small, xl), (model("gpt3-small"), huge)] {
            let depth: Double = Double(b.layers) / Double(a.layers)
            let ratio: Double = Double(b.modelDimension) / Double(a.modelDimension)
            let width: Double = ratio * ratio
            let verdict: String
            if max(depth, width) / min(depth, width) < 1.5 {
                verdict = localized("Depth and width contribute about equally.")
            } else {
                verdict = width > depth ? localized("Width contributes most.") : localized("Depth contributes most.")
            }
            let depthText = formatNumber(Float(depth), decimals: 1), widthText = formatNumber(Float(width), decimals: 1)
            let line = localized("""
                - \(a.displayName) → \(b.displayName): layers \(a.layers) → \(b.layers), ×\(depthText); \
                d_model \(g(a.modelDimension)) → \(g(b.modelDimension)), d² ×\(widthText). \(verdict)
                """)
            factorLines.append(line)
        }
        steps.append(PagerStep(title: localized("Depth and width"), body: prose("""
            Plotted, the families line up. Each layer holds about 12·d², so a model's growth \
            splits into a depth factor (layers) and a width factor (d_model²):

            \(factorLines.joined(separator: "\n"))

            On the width figure the slope of log parameters against log d_model is \(slopeText): \
            above the 2 that d_model² alone would give, because deeper layers came with the wider ones.

            Summary: count a model by its tensors; about 12·d² per layer plus the embedding table; \
            published numbers can differ by a few percent for reasons worth reading; GPT-3 is \
            GPT-2's architecture, scaled, with one change: its layers alternate dense attention \
            and locally banded sparse attention (Brown et al. 2020).

            Try every model, or one model's tensors:
                tx params
                tx params --model gpt2-medium
            """) + "\n\n" + figureLine(depthPath) + "\n" + figureLine(widthPath)
            + "\n\n" + narrator.figuresWritten(figures.written)))

        return LessonRun(steps: steps, figures: figures.written)
    }

    /// The least-squares slope of log y against log x.
    static func logSlope(_ points: [(Double, Double)]) -> Double {
        let xs = points.map { log($0.0) }, ys = points.map { log($0.1) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxy = zip(xs, ys).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = xs.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        return sxx > 0 ? sxy / sxx : 0
    }

    /// 13.18 → "13 times", 1.5 → "1.5 times": a growth factor read aloud.
    static func times(_ factor: Double) -> String {
        localized("\(factor >= 10 ? String(Int(factor.rounded())) : formatNumber(Float(factor), decimals: 1)) times")
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        formatNumber(Float(Double(part) / Double(max(1, whole)) * 100), decimals: 1) + "%"
    }
}
