/// A stand-in for swift-crypto's `SHA256`, for the clash test in ModelIOTests: a program that
/// imports ModelIO beside a library with a public `SHA256` must be able to write `SHA256`.
/// (Not swift-crypto itself: the tests should not build a crypto library to check one name.)
public enum SHA256 {
    public static let owner = "NameClashFixture"
}
