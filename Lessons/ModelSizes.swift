import Localization
import Terminal
import Transformer
import Catalog

/// Parameter counts of published models, shared by lesson 10 and `tx params`.
package enum ModelSizes {
    /// Where a model's parameters sit, counted from its weight shapes.
    package struct Breakdown: Sendable {
        package var embeddings = 0, attention = 0, feedForward = 0, normsAndOther = 0
        package var total: Int { embeddings + attention + feedForward + normsAndOther }
        package var shares: [Double] {
            [embeddings, attention, feedForward, normsAndOther].map { total > 0 ? Double($0) / Double(total) : 0 }
        }
        package static let categories = ["embeddings", "attention", "feed-forward", "norms, pooler, output"]
        /// One of `categories` in the current language.
        package static func localized(_ category: String) -> String { LocalizedText(template: category).localized }
    }

    package static func breakdown(_ model: PublishedModel) -> Breakdown {
        var result = Breakdown()
        for (name, shape) in weightShapes(of: model) {
            let count = shape.reduce(1, *)
            // Layer norms first: their names contain the sublayer they follow
            // ("feedForwardNorm", "attentionNorm", "embeddingNorm"), and they are not part of it.
            let lower = name.lowercased()
            if lower.contains("norm") {
                result.normsAndOther += count
            } else if lower.contains("embedding") {
                result.embeddings += count
            } else if lower.contains("attention.") {
                result.attention += count
            } else if lower.contains("feedforward") {
                result.feedForward += count
            } else {
                result.normsAndOther += count
            }
        }
        return result
    }

    /// 124439808 → "124.4M", 174600000000 → "174.6B".
    package static func short(_ count: Int) -> String {
        let value = Double(count)
        func scaled(_ divisor: Double, _ unit: String) -> String {
            var text = formatNumber(Float(value / divisor), decimals: 1)
            if text.hasSuffix(".0") { text.removeLast(2) }   // "100B", not "100.0B"
            return text + unit
        }
        if value >= 1e9 { return scaled(1e9, "B") }
        if value >= 1e6 { return scaled(1e6, "M") }
        if value >= 1e3 { return scaled(1e3, "K") }
        return String(count)
    }

    /// 124439808 → "124.4", 174604259328 → "174,604.3", 175000000000 → "175,000": a count in
    /// millions with thousands separators, one decimal unless it is a whole number of millions,
    /// so two counts in one unit can be divided by eye.
    package static func millions(_ count: Int) -> String {
        let tenths = Int((Double(count) / 1e5).rounded())
        var digits = String(tenths / 10), grouped = ""
        while digits.count > 3 { grouped = "," + digits.suffix(3) + grouped; digits.removeLast(3) }
        return digits + grouped + (count % 1_000_000 == 0 ? "" : "." + String(tenths % 10))
    }

    /// With `inMillions`, both counts are printed in millions with one decimal (one unit per
    /// column, so the ratio can be checked by hand); otherwise short labels ("124.4M", "117M").
    package static func table(_ models: [PublishedModel], style: TerminalStyle, inMillions: Bool = false) -> String {
        // Short headers so the table fits 80 columns (explained in the lesson text).
        let header = [localized("model"), "L", "d", "h", "d_ff", localized("vocab"), "ctx"]
            + [localized("computed"), localized("paper")] + [localized("ratio")]
        let rows: [[String]] = models.map { model in
            let computed = model.computedParameters
            let ratio = model.publishedParameters > 0 ? Double(computed) / Double(model.publishedParameters) : 0
            return [model.name,
                    model.architecture == .encoderDecoder ? "\(model.layers)+\(model.layers)" : String(model.layers),
                    String(model.modelDimension), String(model.heads), String(model.feedForwardDimension),
                    String(model.vocabularySize), model.contextLength.map(String.init) ?? "—",
                    inMillions ? millions(computed) : short(computed),
                    inMillions ? (model.publishedParameters > 0 ? millions(model.publishedParameters) : "—") : model.publishedLabel, formatNumber(Float(ratio), decimals: 3)]
        }
        let widths = header.indices.map { column in ([header[column]] + rows.map { $0[column] }).map(displayWidth).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? pad(cell, to: widths[index]) : pad(cell, to: widths[index], alignRight: true)
            }.joined(separator: "  ")
        }
        return ([style.bold(line(header))] + rows.map(line)).joined(separator: "\n")
    }
}
