/// The package's version, in one place: `tx --version` prints it, CHANGELOG.md's newest entry and
/// the README's `.package(url: …, from: …)` line name it (a test keeps the three in step).
/// Semantic versioning: a release that breaks public API raises the first number.
public enum TransformerExplorerVersion {
    /// The semantic version, e.g. "0.1.0".
    public static let string = "0.1.0"
}
