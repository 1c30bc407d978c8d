import Foundation
import ModelIO
import Transformer

/// A real pre-trained model named by `--model`: a known name (minilm, smollm2) or a path to the
/// user's own .gguf file, .safetensors file or model folder. Every failure is a `CLIError`.
enum RealModel {
    case encoder(BertEncoderModel, name: String)
    case decoder(LlamaModel, name: String)

    /// The help text of every `--model` that takes a real model.
    static let argumentHelp = Names.realModels.joined(separator: ", ") + ", or a path to a .gguf file, a .safetensors file or a model folder"

    static func load(_ argument: String) throws -> RealModel {
        let location: ModelLocation
        do {
            location = try ModelStore.locate(argument)
        } catch {
            throw CLIError("--model \(argument): \(error)")
        }
        let known = ModelStore.Name(rawValue: argument.lowercased())
        do {
            switch location {
            case let .bertEncoder(folder, weights):
                let name = known == .minilm ? "all-MiniLM-L6-v2" : shown(folder.lastPathComponent)
                return .encoder(try BertEncoderModel.load(from: folder, weights: weights), name: name)
            case let .llamaDecoder(file):
                let name = known == .smollm2 ? "SmolLM2-135M-Instruct" : shown(file.deletingPathExtension().lastPathComponent)
                return .decoder(try LlamaModel.load(from: file), name: name)
            }
        } catch {
            throw CLIError("--model \(argument): cannot load it: \(error)")
        }
    }

    var name: String {
        switch self {
        case let .encoder(_, name), let .decoder(_, name): name
        }
    }

    var layerCount: Int {
        switch self {
        case let .encoder(model, _): model.configuration.layerCount
        case let .decoder(model, _): model.configuration.layerCount
        }
    }

    var headCount: Int {
        switch self {
        case let .encoder(model, _): model.configuration.headCount
        case let .decoder(model, _): model.configuration.headCount
        }
    }

    /// The most tokens the model has positions for.
    var positionLimit: Int {
        switch self {
        case let .encoder(model, _): model.configuration.maximumPositions
        case let .decoder(model, _): model.configuration.contextLength
        }
    }

    var attentionKind: AttentionKind {
        switch self {
        case .encoder: .encoderSelf
        case .decoder: .decoderSelf
        }
    }

    /// One line for the figure's subtitle and the terminal.
    var summary: String {
        switch self {
        case let .encoder(model, name):
            let c = model.configuration
            return "\(name): BERT encoder, \(c.layerCount) layers × \(c.headCount) heads, d_model \(c.hiddenSize)"
        case let .decoder(model, name):
            let c = model.configuration
            return "\(name): Llama decoder, \(c.layerCount) layers × \(c.headCount) heads, d_model \(c.hiddenSize), causal"
        }
    }

    /// The token ids of `text` as the model reads it, and a label for each ([CLS] and [SEP]
    /// around a BERT model's word pieces; a Llama model's BPE tokens with ␣ for spaces).
    func tokens(_ text: String) -> (ids: [Int], labels: [String]) {
        switch self {
        case let .encoder(model, _):
            return (model.encode(text), model.tokenize(text).map(shown))
        case let .decoder(model, _):
            // Token strings come from the model file: shown with visible escapes, never raw.
            let ids = model.tokenizer.encode(text)
            return (ids, model.tokenizer.tokenStrings(ids).map(shown))
        }
    }

    /// The first `limit` tokens; a BERT sequence keeps its closing [SEP].
    func truncated(_ tokens: (ids: [Int], labels: [String]), to limit: Int) -> (ids: [Int], labels: [String]) {
        guard tokens.ids.count > limit, limit >= 2 else { return tokens }
        switch self {
        case .encoder:
            return (Array(tokens.ids.prefix(limit - 1)) + [tokens.ids.last!],
                    Array(tokens.labels.prefix(limit - 1)) + [tokens.labels.last!])
        case .decoder:
            return (Array(tokens.ids.prefix(limit)), Array(tokens.labels.prefix(limit)))
        }
    }

    /// Every head's attention weights on `ids`.
    func trace(_ ids: [Int]) throws -> AttentionTrace {
        let trace: AttentionTrace?
        switch self {
        case let .encoder(model, _): trace = try model.forward(ids: ids, recordTrace: true).trace
        case let .decoder(model, _): trace = try model.forward(ids: ids, recordTrace: true).trace
        }
        guard let trace else { throw CLIError("the model recorded no attention") }
        return trace
    }
}

/// Tokens of `text` for `model`, checked against `limit` (the model's positions or a figure's
/// size): too many is an error that names the limit and offers --truncate, unless `truncate`.
func realModelTokens(_ model: RealModel, text: String, limit: Int, limitReason: String,
                     truncate: Bool) throws -> (ids: [Int], labels: [String]) {
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw CLIError("--text is empty: give the sentence to run the model on")
    }
    let tokens = model.tokens(text)
    guard tokens.ids.count <= limit else {
        if truncate { return model.truncated(tokens, to: limit) }
        throw CLIError("the text is \(tokens.ids.count) tokens long, but \(limitReason) at most \(limit); "
                       + "shorten it, or add --truncate to keep the first \(limit)")
    }
    return tokens
}
