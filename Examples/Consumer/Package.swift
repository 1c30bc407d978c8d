// swift-tools-version:6.0
// A package of someone else's, depending on TransformerExplorer the way the README says (by path
// here, by URL and version for them): scripts/consumer.sh builds and runs it in CI, so the README's
// library example keeps compiling and working from outside the package.
import PackageDescription

let package = Package(
    name: "Consumer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "TransformerExplorer", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "Consumer", dependencies: [
            .product(name: "TensorCore", package: "TransformerExplorer"),
            .product(name: "Transformer", package: "TransformerExplorer"),
            .product(name: "Figures", package: "TransformerExplorer"),
        ]),
    ]
)
