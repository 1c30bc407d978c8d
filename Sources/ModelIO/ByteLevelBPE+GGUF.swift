import Tokenizers

// Reading a tokenizer out of a model file is ModelIO's concern; the tokenizer itself lives in
// Tokenizers, which knows nothing about file formats.
extension ByteLevelBPE {
    /// The tokenizer a GGUF file carries: `tokenizer.ggml.tokens`, `.merges`, `.token_type`,
    /// `.pre`, `.bos_token_id`, `.eos_token_id`. Throws for a model other than "gpt2" or a
    /// pre-tokenizer this type does not implement.
    public init(gguf file: GGUFFile) throws {
        let model = try file.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw GGUFError.invalidValue(key: "tokenizer.ggml.model",
                                         problem: "is \"\(model)\"; only byte-level BPE (\"gpt2\") is implemented")
        }
        let preName = (try? file.string("tokenizer.ggml.pre")) ?? "gpt2"
        guard let pre = PreTokenizer(rawValue: preName) else {
            throw GGUFError.invalidValue(key: "tokenizer.ggml.pre",
                                         problem: "is \"\(preName)\"; only \"gpt2\" and \"smollm\" are implemented")
        }
        let types = file.metadata["tokenizer.ggml.token_type"] == nil ? [] : try file.intArray("tokenizer.ggml.token_type")
        try self.init(tokens: try file.stringArray("tokenizer.ggml.tokens"),
                      merges: try file.stringArray("tokenizer.ggml.merges"),
                      tokenTypes: types, preTokenizer: pre,
                      bosID: file.metadata["tokenizer.ggml.bos_token_id"] == nil ? nil : try file.int("tokenizer.ggml.bos_token_id"),
                      eosID: file.metadata["tokenizer.ggml.eos_token_id"] == nil ? nil : try file.int("tokenizer.ggml.eos_token_id"))
    }
}
