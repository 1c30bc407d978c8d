// swift-tools-version:6.0
// TransformerExplorer: learn how Transformers work by building them, running them,
// and drawing what happened. See DESIGN notes in README.md for the module map.
import PackageDescription

let package = Package(
    name: "TransformerExplorer",
    // Tested on Linux (Debian 12, x86_64, Swift 6.3). macOS is declared so that the package resolves
    // there (Cairo and Pango from Homebrew, found by pkg-config) but is not tested.
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Localization", targets: ["Localization"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Catalog", targets: ["Catalog"]),
        .library(name: "Figures", targets: ["Figures"]),
        .library(name: "ModelIO", targets: ["ModelIO"]),
        .library(name: "Terminal", targets: ["Terminal"]),
        .library(name: "Explorer", targets: ["Explorer"]),
        .library(name: "TrainedModels", targets: ["TrainedModels"]),
        .library(name: "Lessons", targets: ["Lessons"]),
        .library(name: "Analysis", targets: ["Analysis"]),
        .library(name: "InteractiveViews", targets: ["InteractiveViews"]),
        .executable(name: "tx", targets: ["tx"]),
    ],
    dependencies: [
        // The command-line parser for `tx`.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation` (scripts/docs.sh builds the DocC catalogues); a
        // plugin only, nothing of it is linked into the libraries or tx.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // Tensors of Float, the kernels, the seeded RNG. Depends on nothing.
        .target(name: "TensorCore"),
        // The model pieces lessons 2–8 build: attention and masks, multi-head attention,
        // positions, feed-forward, layers, the three architectures, the attention trace,
        // sampling. Depends on TensorCore only.
        .target(name: "Transformer", dependencies: ["TensorCore"]),
        // Text to token ids and back: vocabularies, word-level, WordPiece (BERT) and
        // byte-level BPE (GPT-2, SmolLM2). Depends on nothing.
        .target(name: "Tokenizers"),
        // Learning: the trainable layers (on TensorCore's autograd), the training loops of
        // the three small models, the corpora, and BERT's pre-training data (MLM, NSP).
        .target(name: "Training", dependencies: ["TensorCore", "Transformer", "Tokenizers"]),
        // The published models (GPT-1/2/3, BERT, the Transformer): configurations and
        // parameter counts from weight shapes.
        .target(name: "Catalog", dependencies: ["Transformer"]),
        // Model files: safetensors and GGUF, and the real pre-trained models loaded from them
        // into Transformer types (a BERT-family encoder, a Llama-family decoder).
        .target(name: "ModelIO", dependencies: ["TensorCore", "Transformer", "Tokenizers"]),
        // The three small models `tx train` makes, shipped as safetensors resources so the
        // lessons start instantly, and their loaders.
        .target(
            name: "TrainedModels",
            dependencies: ["TensorCore", "Transformer", "Tokenizers", "Training", "ModelIO"],
            resources: [.copy("Weights")]
        ),
        // What the attention does, measured: rollout and flow, the logit lens, head ablation,
        // on any model of the project through one probe (residual stream, queries and keys,
        // heads silenced on request).
        .target(name: "Analysis", dependencies: ["TensorCore", "Transformer", "Training", "ModelIO"]),
        // The self-contained interactive HTML page of an attention trace (head, model and
        // neuron views): inline JS and CSS, the trace embedded as JSON, no network.
        .target(name: "InteractiveViews", dependencies: ["Transformer"]),
        // Cairo and Pango (pangocairo, which pulls in cairo) through pkg-config; scripts/setup.sh
        // installs libcairo2-dev and libpango1.0-dev.
        .systemLibrary(
            name: "CCairo",
            pkgConfig: "pangocairo",
            providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]
        ),
        // The languages text is shown in: English in the code, every other language a folder of
        // string tables (Strings/<code>/*.txt) keyed by the English. Depends on nothing.
        .target(name: "Localization", resources: [.copy("Strings")]),
        // Everything drawn. Knows nothing about models: plain matrices and labels.
        .target(name: "Figures", dependencies: ["CCairo", "Localization"]),
        // ANSI output: aligned matrices, colour heatmaps, the step pager.
        .target(name: "Terminal", dependencies: ["Localization"]),
        // `tx explore`: the interactive attention explorer's state, its text rendering and the
        // raw-mode terminal it runs in. The state and rendering are plain values, tested without
        // a terminal.
        .target(name: "Explorer", dependencies: ["Transformer", "Terminal", "Figures"]),
        // The lessons: one file per lesson, a list of steps.
        .target(
            name: "Lessons",
            dependencies: ["TensorCore", "Transformer", "Tokenizers", "Training", "Catalog", "Figures", "Terminal",
                           "TrainedModels", "ModelIO", "Analysis", "InteractiveViews", "Localization"],
            path: "Lessons"
        ),
        .executableTarget(
            name: "tx",
            dependencies: [
                "Lessons", "TensorCore", "Transformer", "Tokenizers", "Training", "Catalog", "Figures", "Terminal",
                "ModelIO", "TrainedModels", "Analysis", "InteractiveViews", "Explorer", "Localization",
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
            dependencies: ["TensorCore", "Transformer", "Tokenizers", "Terminal"],
            path: "Examples/CausalDecoderTrace"
        ),
        .executableTarget(
            name: "TraceToFigureExample",
            dependencies: ["Transformer", "Figures"],
            path: "Examples/TraceToFigure"
        ),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "LocalizationTests", dependencies: ["Localization"]),
        // The trainable twins are checked against the layers they mirror here, so Training too.
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "TensorCore", "Training"]),
        // WordPiece is also tested on a vocabulary built from the teaching corpus (Training).
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "Training"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Transformer", "Tokenizers", "TensorCore"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "Transformer"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "CCairo"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"]),
        .testTarget(name: "ExplorerTests", dependencies: ["Explorer", "Transformer"]),
        // A module with its own public `SHA256` (as swift-crypto has), for ModelIOTests' clash test.
        .target(name: "NameClashFixture", path: "Tests/NameClashFixture"),
        .testTarget(name: "ModelIOTests",
                    dependencies: ["ModelIO", "TensorCore", "Transformer", "Tokenizers", "NameClashFixture"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "AnalysisTests",
                    dependencies: ["Analysis", "ModelIO", "Transformer", "Training", "TensorCore", "TrainedModels"]),
        .testTarget(name: "InteractiveViewsTests", dependencies: ["InteractiveViews", "Transformer"]),
        .testTarget(name: "TrainedModelsTests",
                    dependencies: ["TrainedModels", "Transformer", "Tokenizers", "Training", "ModelIO", "TensorCore"]),
        .testTarget(name: "LessonsTests",
                    dependencies: ["Lessons", "Terminal", "Figures", "ModelIO", "Transformer", "Tokenizers", "Training",
                                   "TensorCore", "Analysis", "Localization"]),
        // Runs the built `tx` binary as a user would; depends on it so it is built first.
        .testTarget(name: "CLITests", dependencies: ["tx", "TraceToFigureExample", "ModelIO", "TensorCore", "Localization", "Figures"]),
    ]
)
