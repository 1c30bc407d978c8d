// swift-tools-version:6.0
// libFuzzer targets for the model-file parsers, one executable per parser. Build and run them
// with scripts/fuzz.sh (it passes -sanitize=fuzzer,address; see Fuzz/README.md).
import PackageDescription

let package = Package(
    name: "TransformerExplorerFuzz",
    dependencies: [.package(name: "TransformerExplorer", path: "..")],
    targets: [
        .target(name: "FuzzDriver", path: "Sources/FuzzDriver"),
        .executableTarget(name: "fuzz-safetensors",
                          dependencies: ["FuzzDriver", .product(name: "ModelIO", package: "TransformerExplorer")],
                          path: "Sources/FuzzSafeTensors"),
        .executableTarget(name: "fuzz-gguf",
                          dependencies: ["FuzzDriver", .product(name: "ModelIO", package: "TransformerExplorer")],
                          path: "Sources/FuzzGGUF"),
        .executableTarget(name: "fuzz-vocab",
                          dependencies: ["FuzzDriver", .product(name: "Tokenizers", package: "TransformerExplorer")],
                          path: "Sources/FuzzVocab"),
        .executableTarget(name: "fuzz-bpe",
                          dependencies: ["FuzzDriver", .product(name: "Tokenizers", package: "TransformerExplorer")],
                          path: "Sources/FuzzBPE"),
    ]
)
