import Foundation
import Transformer

/// One candidate for the next token, as `n` lists them.
public struct NextTokenCandidate: Equatable, Sendable {
    /// The token id in the model's vocabulary.
    public var id: Int
    /// How it is shown (byte-level tokens with ␣ for a space).
    public var label: String
    /// Its probability after softmax, 0…1.
    public var probability: Float

    /// A candidate from its id, its label and its probability.
    public init(id: Int, label: String, probability: Float) {
        self.id = id
        self.label = label
        self.probability = probability
    }
}

/// Everything the explorer shows, and how keys change it: a plain value with no terminal in it,
/// so a key sequence can be tested by its resulting layer, head, query and rendered rows.
///
/// It holds the attention trace of one run of a model. Keys move through it (query token,
/// layer, head or the mean of a layer's heads, the kind of attention, the view); keys that need
/// the model or the disk (save, next-token candidates, append) come back as a `Command` for the
/// program to carry out.
public struct ExplorerState: Sendable {
    /// How the chosen head is drawn (`v` cycles through them).
    public enum View: String, CaseIterable, Sendable {
        /// One head as a grid: rows are queries, columns are keys.
        case heatmap
        /// BertViz's head view in text: lines from the chosen query to every key.
        case lines
        /// BertViz's model view: every layer × head as a small thumbnail, with a cursor.
        case model

        /// The view's name in the title bar: "heatmap", "lines" or "model view".
        public var title: String {
            switch self {
            case .heatmap: "heatmap"
            case .lines: "lines"
            case .model: "model view"
            }
        }
    }

    /// What is drawn over the view: nothing, the key help (`?`), or the next-token candidates (`n`).
    public enum Overlay: Equatable, Sendable {
        case none, help, candidates
    }

    /// What the program must do after a key.
    public enum Command: Equatable, Sendable {
        case none
        case quit
        /// Ctrl-C: quit, reporting an interruption.
        case interrupt
        case savePNG
        case saveJSON
        /// Compute the next-token candidates and pass them to `showCandidates`.
        case showCandidates
        /// Append this token to the text, run the model again and pass the trace to `replaceTrace`.
        case append(NextTokenCandidate)
    }

    /// Who is being explored, for the title bar ("all-MiniLM-L6-v2").
    public let modelName: String
    /// Whether the model predicts a next token (a decoder): `n` and Enter work.
    public let canPredict: Bool
    /// The attention of the current run of the model.
    public private(set) var trace: AttentionTrace
    /// The kinds of attention in the trace, in the order Tab visits them.
    public private(set) var kinds: [AttentionKind]
    /// The kind of attention shown (Tab and Shift-Tab move through `kinds`).
    public private(set) var kind: AttentionKind
    /// 0-based.
    public private(set) var layer = 0
    /// 0-based; kept while the average is shown, so `a` again returns to it.
    public private(set) var head = 0
    /// `a`: the mean of the layer's heads instead of one head.
    public private(set) var averageHeads = false
    /// 0-based index of the chosen query token.
    public private(set) var query = 0
    /// How the chosen head is drawn.
    public var view: View = .heatmap
    /// What is drawn over the view.
    public private(set) var overlay: Overlay = .none
    /// The next-token candidates `showCandidates` was given, most likely first.
    public private(set) var candidates: [NextTokenCandidate] = []
    /// 0-based index of the highlighted candidate (Up and Down move it).
    public private(set) var candidateIndex = 0
    /// One line for the bottom row: what was saved and where, or what went wrong.
    public var status = ""

    /// [kind: [layer][head]], sorted.
    private var index: [AttentionKind: [[AttentionTrace.Entry]]] = [:]

    /// `kind` nil: cross-attention when the trace has it (what sets an encoder–decoder apart),
    /// otherwise the first kind it has. The query starts at the last token for causal and cross
    /// attention (the position that predicts what comes next), at the first otherwise.
    public init(trace: AttentionTrace, modelName: String, canPredict: Bool, kind: AttentionKind? = nil) throws {
        self.modelName = modelName
        self.canPredict = canPredict
        self.trace = trace
        kinds = []
        self.kind = .encoderSelf
        try load(trace)
        if let kind, kinds.contains(kind) {
            self.kind = kind
        } else {
            self.kind = kinds.contains(.cross) ? .cross : kinds[0]
        }
        query = self.kind == .encoderSelf ? 0 : queryTokens.count - 1
    }

    /// The trace of a new run (after a token was appended): same kind, layer and head where they
    /// still exist; the query moves to the last token, the one just added.
    public mutating func replaceTrace(_ newTrace: AttentionTrace) throws {
        try load(newTrace)
        trace = newTrace
        if !kinds.contains(kind) { kind = kinds.contains(.cross) ? .cross : kinds[0] }
        clampLayerAndHead()
        query = queryTokens.count - 1
        overlay = .none
    }

    /// Shows `list` as the candidate overlay with the first one highlighted (an empty list
    /// closes the overlay).
    public mutating func showCandidates(_ list: [NextTokenCandidate]) {
        candidates = list
        candidateIndex = 0
        overlay = list.isEmpty ? .none : .candidates
    }

    // MARK: What is shown

    /// The number of layers of the current kind.
    public var layerCount: Int { index[kind]?.count ?? 0 }
    /// The number of heads per layer of the current kind.
    public var headCount: Int { index[kind]?.first?.count ?? 0 }
    /// The labels of the query tokens (the rows) of the current kind.
    public var queryTokens: [String] { index[kind]?.first?.first?.queryTokens ?? [] }
    /// The labels of the key tokens (the columns) of the current kind.
    public var keyTokens: [String] { index[kind]?.first?.first?.keyTokens ?? [] }

    /// The weights of one head (or, `head` nil, the mean of the layer's heads) of the current kind.
    public func weights(layer: Int, head: Int?) -> [[Float]] {
        guard let heads = index[kind]?[layer] else { return [] }
        if let head { return heads[head].weights }
        let first = heads[0].weights
        return first.indices.map { q in
            first[q].indices.map { k in heads.map { $0.weights[q][k] }.reduce(0, +) / Float(heads.count) }
        }
    }

    /// What the view shows now: the chosen head, or the layer's mean.
    public var currentWeights: [[Float]] { weights(layer: layer, head: averageHeads ? nil : head) }

    /// Whether `key` is hidden from `query`: in causal self-attention every later token is.
    /// A masked key has weight 0 like an ignored one, but it was never a choice, so it is shown
    /// as masked, not as a zero.
    public func isMasked(query: Int, key: Int) -> Bool {
        kind == .decoderSelf && key > query
    }

    /// The chosen query's keys, strongest first (ties: the earlier key), masked keys left out.
    public func topKeys(_ count: Int) -> [(key: Int, weight: Float)] {
        let row = currentWeights[query]
        return row.indices.filter { !isMasked(query: query, key: $0) }
            .sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            .prefix(max(0, count))
            .map { ($0, row[$0]) }
    }

    /// How many keys the chosen query may not see.
    public var maskedKeyCount: Int {
        keyTokens.indices.filter { isMasked(query: query, key: $0) }.count
    }

    /// "layer 3/6 · head 7/12" or "layer 3/6 · mean of 12 heads".
    public var positionText: String {
        "layer \(layer + 1)/\(layerCount) · "
            + (averageHeads ? "mean of \(headCount) heads" : "head \(head + 1)/\(headCount)")
    }

    /// The kind in words, for the title bar: "encoder self-attention", "causal self-attention" or
    /// "cross-attention".
    public static func describe(_ kind: AttentionKind) -> String {
        switch kind {
        case .encoderSelf: "encoder self-attention"
        case .decoderSelf: "causal self-attention"
        case .cross: "cross-attention"
        }
    }

    // MARK: Keys

    /// Applies one key: moves the query (Left/Right, h/l), the layer (Up/Down) or the head ([ and ]),
    /// toggles the mean of the heads (a), changes the kind (Tab) or the view, opens or closes an
    /// overlay, and returns what the program must do next (`Command.none` when nothing).
    public mutating func handle(_ key: ExplorerKey) -> Command {
        if key == .interrupt { return .interrupt }
        switch overlay {
        case .help:
            if key == .character("q") { return .quit }
            overlay = .none
            return .none
        case .candidates:
            switch key {
            case .up, .character("k"): candidateIndex = max(0, candidateIndex - 1)
            case .down, .character("j"): candidateIndex = min(candidates.count - 1, candidateIndex + 1)
            case .enter: return .append(candidates[candidateIndex])
            case .character("q"): return .quit
            default: overlay = .none
            }
            return .none
        case .none:
            break
        }
        status = ""
        switch key {
        case .left, .character("h"): query = max(0, query - 1)
        case .right, .character("l"): query = min(queryTokens.count - 1, query + 1)
        case .up: layer = max(0, layer - 1)
        case .down: layer = min(layerCount - 1, layer + 1)
        case .character("["):
            if averageHeads { averageHeads = false } else { head = max(0, head - 1) }
        case .character("]"):
            if averageHeads { averageHeads = false } else { head = min(headCount - 1, head + 1) }
        case .character("a"): averageHeads.toggle()
        case .tab, .backTab:
            guard kinds.count > 1, let at = kinds.firstIndex(of: kind) else {
                status = "this model has one kind of attention: \(Self.describe(kind))"
                break
            }
            kind = kinds[(at + (key == .tab ? 1 : kinds.count - 1)) % kinds.count]
            clampLayerAndHead()
            query = min(query, queryTokens.count - 1)
        case .character("v"):
            let all = View.allCases
            view = all[(all.firstIndex(of: view)! + 1) % all.count]
        case .character("?"): overlay = .help
        case .character("s"): return .savePNG
        case .character("j"): return .saveJSON
        case .character("n"):
            guard canPredict else {
                status = "\(modelName) is an encoder: it has no next-token head (n works for decoders)"
                break
            }
            return .showCandidates
        case .character("q"), .escape: return key == .escape ? .none : .quit
        default: break
        }
        return .none
    }

    // MARK: Private

    private mutating func load(_ trace: AttentionTrace) throws {
        var newIndex: [AttentionKind: [[AttentionTrace.Entry]]] = [:]
        var newKinds: [AttentionKind] = []
        for kind in AttentionKind.allCases {
            let entries = trace.entries(kind: kind)
            guard !entries.isEmpty else { continue }
            let layers = Set(entries.map(\.layer)).sorted()
            var byLayer: [[AttentionTrace.Entry]] = []
            for (position, layer) in layers.enumerated() {
                let heads = entries.filter { $0.layer == layer }.sorted { $0.head < $1.head }
                guard layer == position, heads.map(\.head) == Array(heads.indices),
                      heads.count == (byLayer.first?.count ?? heads.count),
                      let first = heads.first, !first.queryTokens.isEmpty, !first.keyTokens.isEmpty,
                      heads.allSatisfy({ $0.queryTokens == first.queryTokens && $0.keyTokens == first.keyTokens
                          && $0.weights.count == first.queryTokens.count
                          && $0.weights.allSatisfy { $0.count == first.keyTokens.count } }) else {
                    throw ExplorerError.incompleteTrace(kind: kind, layer: layer)
                }
                byLayer.append(heads)
            }
            // Every layer of a kind reads the same tokens.
            guard byLayer.allSatisfy({ $0[0].queryTokens == byLayer[0][0].queryTokens }) else {
                throw ExplorerError.incompleteTrace(kind: kind, layer: 0)
            }
            newIndex[kind] = byLayer
            newKinds.append(kind)
        }
        guard !newKinds.isEmpty else { throw ExplorerError.emptyTrace }
        index = newIndex
        kinds = newKinds
    }

    private mutating func clampLayerAndHead() {
        layer = min(layer, layerCount - 1)
        head = min(head, headCount - 1)
    }
}

/// Why a trace cannot be explored.
public enum ExplorerError: Error, CustomStringConvertible, Equatable {
    case emptyTrace
    case incompleteTrace(kind: AttentionKind, layer: Int)

    /// The message `tx` prints after "Error: ".
    public var description: String {
        switch self {
        case .emptyTrace:
            "the model recorded no attention"
        case let .incompleteTrace(kind, layer):
            "the attention trace is incomplete (\(kind.rawValue), layer \(layer + 1)): every layer needs "
                + "heads 1…n with one weight per query and key"
        }
    }
}

extension ExplorerError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
