#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TensorCore

/// Which attention produced a weight matrix.
public enum AttentionKind: String, Codable, Sendable, CaseIterable {
    /// Encoder self-attention: every token sees every (non-pad) token.
    case encoderSelf = "encoder-self"
    /// Decoder self-attention under the causal mask: token i sees tokens 0…i.
    case decoderSelf = "decoder-causal-self"
    /// Decoder-to-encoder attention: target tokens (queries) over source tokens (keys).
    case cross
}

/// A record of what every attention head of a model did on one input: for each layer and head
/// the weight matrix (rows = queries, columns = keys, each row summing to 1 or, when every key
/// is hidden, to 0), its kind, and the token labels of its rows and columns.
///
/// Models fill it in when asked (`recordTrace: true`); figures and the terminal draw it; its
/// JSON form (`jsonData()`, documented in docs/trace-schema.md) is for other tools.
/// For a batched forward pass the trace holds the first sequence of the batch only, at the
/// padded length: its pad keys appear as columns of zero weight.
public struct AttentionTrace: Codable, Sendable, Equatable {
    /// "encoder-only", "decoder-only" or "encoder-decoder" for the models of this module;
    /// any string for others.
    public var architecture: String
    /// Ordered by stack (encoder first), then layer, then kind (self before cross), then head.
    public var entries: [Entry]
    /// The version of docs/trace-schema.md this trace follows (`currentSchemaVersion` for new
    /// traces; nil in files written before the field existed, which are version 1).
    public var schemaVersion: Int?
    /// The model that produced the trace ("all-MiniLM-L6-v2", "language model", …), when known.
    public var model: String?
    /// The input as the user gave it, when known.
    public var text: String?
    /// The token ids of the (first) sequence the model read, when known: one per query label of
    /// a self-attention entry.
    public var tokenIDs: [Int]?

    /// 2: adds `schemaVersion`, `model`, `text`, `tokenIDs` and the optional per-entry
    /// `queries`, `keys` and `scale` (the neuron view's data).
    public static let currentSchemaVersion = 2

    /// One head of one layer.
    public struct Entry: Codable, Sendable, Equatable {
        /// 0-based, counted within its stack: encoder layer 0 and decoder layer 0 both exist.
        public var layer: Int
        /// 0-based.
        public var head: Int
        /// Encoder self-attention, decoder self-attention or cross-attention.
        public var kind: AttentionKind
        /// One label per row of `weights`.
        public var queryTokens: [String]
        /// One label per column of `weights`.
        public var keyTokens: [String]
        /// [queryTokens.count][keyTokens.count].
        public var weights: [[Float]]
        /// [queryTokens.count][keyTokens.count]: true where the mask hid the key from the query
        /// (its weight is 0 because it was never looked at, not because attention chose 0).
        /// nil when the recorder did not say; `hiddenKeys` then derives the causal mask.
        public var hidden: [[Bool]]?
        /// The head's query vectors, one per query token ([queryTokens.count][d_h]), as they
        /// enter the score (after RoPE for a Llama model); nil unless asked for (they are large).
        public var queries: [[Float]]?
        /// The head's key vectors, one per key token ([keyTokens.count][d_h]); nil unless asked for.
        public var keys: [[Float]]?
        /// What q·k is multiplied by to give the score before the softmax (1/√d_h); set with
        /// `queries` and `keys`.
        public var scale: Float?

        /// An entry without queries, keys or scale (set those afterwards when wanted). `layer` and
        /// `head` count from 0.
        public init(layer: Int, head: Int, kind: AttentionKind, queryTokens: [String], keyTokens: [String],
                    weights: [[Float]], hidden: [[Bool]]? = nil) {
            self.layer = layer
            self.head = head
            self.kind = kind
            self.queryTokens = queryTokens
            self.keyTokens = keyTokens
            self.weights = weights
            self.hidden = hidden
        }

        /// Which keys each query could not see: `hidden` when recorded, else for causal decoder
        /// self-attention the keys after the query (the last query sees every key, as in a KV
        /// cache where keys run ahead of the queries), else none.
        public var hiddenKeys: [[Bool]] {
            if let hidden { return hidden }
            let queries = weights.count, keys = weights.first?.count ?? keyTokens.count
            guard kind == .decoderSelf else {
                return Array(repeating: Array(repeating: false, count: keys), count: queries)
            }
            return causalHiddenKeys(queries: queries, keys: keys)
        }
    }

    /// A trace of the current schema version with these entries (none by default) and no model,
    /// text or token ids.
    public init(architecture: String, entries: [Entry] = []) {
        self.architecture = architecture
        self.entries = entries
        self.schemaVersion = Self.currentSchemaVersion
    }

    // MARK: Recording

    /// Appends one entry per head from a weight tensor [h, T_q, T_k] or [B, h, T_q, T_k]
    /// (then only sequence 0 is recorded), as `MultiHeadOutput.weights` holds it.
    /// Throws `TransformerError.invalidInput` when the tensor's rank or the label counts do not fit.
    ///
    /// `mask`: the mask the model ran with (1 = hidden, as `causalMask` and `paddingMask` make it;
    /// [T_q, T_k], [1, T_k] or any shape ending in those: batch 0 and its first head are used);
    /// its hidden keys are recorded in `hidden`. Without
    /// one, causal decoder self-attention records its causal mask and other kinds record nothing.
    ///
    /// `queries` and `keys` (the neuron view's data, optional because they are large): each
    /// head's query and key vectors as they entered the score, [(B,) h, T_q, d_h] and
    /// [(B,) h, T_k, d_h] (sequence 0 is recorded); `scale` is then set to 1/√d_h.
    public mutating func record(weights: Tensor, layer: Int, kind: AttentionKind,
                                queryTokens: [String], keyTokens: [String], mask: Tensor? = nil,
                                queries: Tensor? = nil, keys: Tensor? = nil) throws {
        var perHead = weights                                   // (h, T_q, T_k)
        if weights.rank == 4 {
            perHead = try weights.slice(axis: 0, range: 0..<min(1, weights.shape[0]))
                .reshaped(Array(weights.shape.dropFirst()))
        }
        guard perHead.rank == 3 else {
            throw TransformerError.invalidInput(
                operation: "AttentionTrace.record",
                reason: "the weights must be [h, T_q, T_k] or [B, h, T_q, T_k], not \(weights.shape)")
        }
        let heads = perHead.shape[0], queryCount = perHead.shape[1], keyCount = perHead.shape[2]
        guard queryTokens.count == queryCount, keyTokens.count == keyCount else {
            throw TransformerError.invalidInput(
                operation: "AttentionTrace.record",
                reason: "\(queryTokens.count) query and \(keyTokens.count) key labels given for weights "
                    + "of \(queryCount) queries × \(keyCount) keys")
        }
        var hidden: [[Bool]]? = kind == .decoderSelf ? causalHiddenKeys(queries: queryCount, keys: keyCount) : nil
        if let mask {
            let count = mask.scalars.count
            guard mask.rank >= 2, mask.shape[mask.rank - 2] == queryCount || mask.shape[mask.rank - 2] == 1,
                  mask.shape[mask.rank - 1] == keyCount, count >= keyCount else {
                throw TransformerError.invalidInput(
                    operation: "AttentionTrace.record",
                    reason: "the mask \(mask.shape) does not end in [\(queryCount), \(keyCount)] or [1, \(keyCount)]")
            }
            // The first [T_q or 1, T_k] block: batch 0, head 0.
            let rowsInMask = mask.shape[mask.rank - 2]
            let scalars = mask.scalars
            hidden = (0..<queryCount).map { q in
                let row = rowsInMask == 1 ? 0 : q
                return (0..<keyCount).map { k in scalars[row * keyCount + k] != 0 }
            }
        }
        let queryVectors = try queries.map { try Self.headVectors($0, heads: heads, tokens: queryCount, name: "queries") }
        let keyVectors = try keys.map { try Self.headVectors($0, heads: heads, tokens: keyCount, name: "keys") }
        for head in 0..<heads {
            let matrix = try perHead.slice(axis: 0, range: head..<(head + 1)).reshaped([queryCount, keyCount])
            var entry = Entry(layer: layer, head: head, kind: kind, queryTokens: queryTokens,
                              keyTokens: keyTokens, weights: (0..<queryCount).map { matrix.row($0) },
                              hidden: hidden)
            entry.queries = queryVectors?[head]
            entry.keys = keyVectors?[head]
            if let dimension = (queries ?? keys)?.shape.last { entry.scale = 1 / Float(dimension).squareRoot() }
            entries.append(entry)
        }
    }

    /// One attention call of this module's models (its weights and, when `queriesKeys`, its
    /// queries and keys), as `record(weights:…)` records them.
    public mutating func record(_ attention: MultiHeadOutput, layer: Int, kind: AttentionKind, queryTokens: [String],
                                keyTokens: [String], mask: Tensor? = nil, queriesKeys: Bool) throws {
        try record(weights: attention.weights, layer: layer, kind: kind, queryTokens: queryTokens,
                   keyTokens: keyTokens, mask: mask, queries: queriesKeys ? attention.stages.query : nil,
                   keys: queriesKeys ? attention.stages.key : nil)
    }

    /// [(B,) h, T, d_h] → [h][T][d_h] for sequence 0. Throws unless the head and token counts fit.
    static func headVectors(_ tensor: Tensor, heads: Int, tokens: Int, name: String) throws -> [[[Float]]] {
        let shape = tensor.shape, rank = shape.count
        guard rank == 3 || rank == 4, shape[rank - 3] == heads, shape[rank - 2] == tokens else {
            throw TransformerError.invalidInput(
                operation: "AttentionTrace.record",
                reason: "the \(name) must be [h, T, d_h] or [B, h, T, d_h] with h = \(heads) and T = \(tokens), not \(shape)")
        }
        let dh = shape[rank - 1], s = tensor.scalars                // sequence 0 comes first
        return (0..<heads).map { head in (0..<tokens).map { t in
            Array(s[((head * tokens + t) * dh)..<((head * tokens + t) * dh + dh)]) } }
    }

    // MARK: Reading

    /// The entries of one kind, in trace order.
    public func entries(kind: AttentionKind) -> [Entry] {
        entries.filter { $0.kind == kind }
    }

    /// How many layers have entries of `kind` (0 when there are none).
    public func layers(kind: AttentionKind) -> Int {
        Set(entries(kind: kind).map(\.layer)).count
    }

    /// Heads per layer: one more than the largest head index (0 for an empty trace).
    public var heads: Int {
        (entries.map(\.head).max() ?? -1) + 1
    }

    /// The entry for one layer, head and kind, if the trace has it.
    public func entry(layer: Int, head: Int, kind: AttentionKind) -> Entry? {
        entries.first { $0.layer == layer && $0.head == head && $0.kind == kind }
    }

    /// The weight matrix for one layer, head and kind, if the trace has it.
    public func weights(layer: Int, head: Int, kind: AttentionKind) -> [[Float]]? {
        entry(layer: layer, head: head, kind: kind)?.weights
    }

    // MARK: JSON

    /// The trace as pretty-printed JSON with sorted keys (see docs/trace-schema.md).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a trace written by `jsonData()` (or any JSON of the same schema). Throws a
    /// `DecodingError` for JSON that does not match the schema, and
    /// `TransformerError.invalidInput` when an entry's weights do not match its labels.
    public init(jsonData: Data) throws {
        self = try JSONDecoder().decode(AttentionTrace.self, from: jsonData)
        // A file is outside input: check what the readers of a trace rely on.
        for (index, entry) in entries.enumerated() {
            let vectorsFit = [entry.queries.map { ($0, entry.queryTokens.count) }, entry.keys.map { ($0, entry.keyTokens.count) }]
                .allSatisfy { pair in
                    guard let (rows, count) = pair else { return true }
                    return rows.count == count && Set(rows.map(\.count)).count <= 1
                        && rows.allSatisfy { $0.allSatisfy(\.isFinite) }
                }
            guard vectorsFit, entry.weights.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                throw TransformerError.invalidInput(
                    operation: "AttentionTrace(jsonData:)",
                    reason: "entry \(index) (layer \(entry.layer), head \(entry.head)) has queries or keys that are not "
                        + "one finite vector of one length per token, or a weight that is not finite")
            }
            guard entry.weights.count == entry.queryTokens.count,
                  entry.weights.allSatisfy({ $0.count == entry.keyTokens.count }),
                  entry.hidden.map({ $0.count == entry.queryTokens.count
                      && $0.allSatisfy { $0.count == entry.keyTokens.count } }) ?? true,
                  entry.layer >= 0, entry.head >= 0 else {
                throw TransformerError.invalidInput(
                    operation: "AttentionTrace(jsonData:)",
                    reason: "entry \(index) (layer \(entry.layer), head \(entry.head), \(entry.kind.rawValue)) "
                        + "needs a non-negative layer and head and one weight row per query token "
                        + "(\(entry.queryTokens.count)) with one weight per key token (\(entry.keyTokens.count)), "
                        + "and hidden flags (when given) of the same shape")
            }
        }
    }
}

/// The causal mask as flags: query q (of `queries`, the last ones of `keys` positions) cannot see
/// keys after its own position.
func causalHiddenKeys(queries: Int, keys: Int) -> [[Bool]] {
    let offset = max(0, keys - queries)
    return (0..<queries).map { q in (0..<keys).map { k in k > q + offset } }
}
