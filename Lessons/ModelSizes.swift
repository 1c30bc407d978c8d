import Terminal
import Transformer
import Catalog

/// Parameter counts of published models, shared by lesson 10 and `tx params`.
public enum ModelSizes {
    /// Where a model's parameters sit, counted from its weight shapes.
    public struct Breakdown: Sendable {
        public var embeddings = 0, attention = 0, feedForward = 0, normsAndOther = 0
        public var total: Int { embeddings + attention + feedForward + normsAndOther }
        public var shares: [Double] {
            [embeddings, attention, feedForward, normsAndOther].map { total > 0 ? Double($0) / Double(total) : 0 }
        }
        public static let categories = ["embeddings", "attention", "feed-forward", "norms, pooler, output"]
    }

    public static func breakdown(_ model: PublishedModel) -> Breakdown {
        var result = Breakdown()
        for (name, shape) in weightShapes(of: model) {
            let count = shape.reduce(1, *)
            let lower = name.lowercased()
            if lower.contains("embedding") && !lower.contains("norm") {
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
    public static func short(_ count: Int) -> String {
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

    /// The catalog as an aligned table: configuration, computed and published counts.
    public static func table(_ models: [PublishedModel], style: TerminalStyle) -> String {
        // Short headers so the table fits 80 columns (explained in the lesson text).
        let header = ["model", "L", "d", "h", "d_ff", "vocab", "ctx", "computed", "paper", "ratio"]
        let rows: [[String]] = models.map { model in
            let computed = model.computedParameters
            let ratio = model.publishedParameters > 0 ? Double(computed) / Double(model.publishedParameters) : 0
            return [model.name,
                    model.architecture == .encoderDecoder ? "\(model.layers)+\(model.layers)" : String(model.layers),
                    String(model.modelDimension), String(model.heads), String(model.feedForwardDimension),
                    String(model.vocabularySize), model.contextLength.map(String.init) ?? "—",
                    short(computed), model.publishedLabel, formatNumber(Float(ratio), decimals: 3)]
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
