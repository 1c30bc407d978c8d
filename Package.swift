// swift-tools-version:6.0
// TransformerExplorer: learn how Transformers work by building them, running them,
// and drawing what happened. See DESIGN notes in README.md for the module map.
import PackageDescription

let package = Package(
    name: "TransformerExplorer",
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Figures", targets: ["Figures"]),
        .library(name: "ModelIO", targets: ["ModelIO"]),
        .library(name: "Terminal", targets: ["Terminal"]),
        .library(name: "Explorer", targets: ["Explorer"]),
        .library(name: "TrainedModels", targets: ["TrainedModels"]),
        .library(name: "Lessons", targets: ["Lessons"]),
        .executable(name: "tx", targets: ["tx"]),
    ],
    dependencies: [
        // The only external dependency: the command-line parser for `tx`.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Tensors of Float, the kernels, the seeded RNG. Depends on nothing.
        .target(name: "TensorCore"),
        // Model pieces built on TensorCore: attention, masks, tokenisers.
        .target(name: "Transformer", dependencies: ["TensorCore"]),
        // Model files: safetensors and GGUF, and the real pre-trained models loaded from them
        // into Transformer types (a BERT-family encoder, a Llama-family decoder).
        .target(name: "ModelIO", dependencies: ["TensorCore", "Transformer"]),
        // The three small models `tx train` makes, shipped as safetensors resources so the
        // lessons start instantly, and their loaders.
        .target(
            name: "TrainedModels",
            dependencies: ["TensorCore", "Transformer", "ModelIO"],
            resources: [.copy("Weights")]
        ),
        // Cairo through pkg-config; scripts/setup.sh installs libcairo2-dev.
        .systemLibrary(
            name: "CCairo",
            pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev"])]
        ),
        // Everything drawn. Knows nothing about models: plain matrices and labels.
        .target(name: "Figures", dependencies: ["CCairo"]),
        // ANSI output: aligned matrices, colour heatmaps, the step pager.
        .target(name: "Terminal"),
        // `tx explore`: the interactive attention explorer's state, its text rendering and the
        // raw-mode terminal it runs in. The state and rendering are plain values, tested without
        // a terminal.
        .target(name: "Explorer", dependencies: ["Transformer", "Terminal", "Figures"]),
        // The lessons: one file per lesson, a list of steps.
        .target(
            name: "Lessons",
            dependencies: ["TensorCore", "Transformer", "Figures", "Terminal", "TrainedModels", "ModelIO"],
            path: "Lessons"
        ),
        .executableTarget(
            name: "tx",
            dependencies: [
                "Lessons", "TensorCore", "Transformer", "Figures", "Terminal", "ModelIO", "TrainedModels", "Explorer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // tx-bench: the speed benchmarks against numpy, matplotlib and llama.cpp (scripts/bench.sh runs
        // it in release). Never part of the tests.
        .executableTarget(
            name: "tx-bench",
            dependencies: [
                "TensorCore", "Transformer", "ModelIO", "Figures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks"
        ),
        // Examples are built with the tests so they never rot.
        .executableTarget(
            name: "AttentionFigureExample",
            dependencies: ["Figures"],
            path: "Examples/AttentionFigure"
        ),
        .executableTarget(
            name: "CausalDecoderTraceExample",
            dependencies: ["TensorCore", "Transformer", "Terminal"],
            path: "Examples/CausalDecoderTrace"
        ),
        .executableTarget(
            name: "TraceToFigureExample",
            dependencies: ["Transformer", "Figures"],
            path: "Examples/TraceToFigure"
        ),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "TensorCore"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "CCairo"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"]),
        .testTarget(name: "ExplorerTests", dependencies: ["Explorer", "Transformer"]),
        .testTarget(name: "ModelIOTests", dependencies: ["ModelIO", "TensorCore", "Transformer"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "TrainedModelsTests", dependencies: ["TrainedModels", "Transformer", "ModelIO", "TensorCore"]),
        .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Terminal", "Figures", "ModelIO", "Transformer"]),
        // Runs the built `tx` binary as a user would; depends on it so it is built first.
        .testTarget(name: "CLITests", dependencies: ["tx", "TraceToFigureExample", "ModelIO"]),
    ]
)
