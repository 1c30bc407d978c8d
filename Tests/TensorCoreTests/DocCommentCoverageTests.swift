import Foundation
import Testing

/// Issue 21: every public declaration of the library has a `///` doc comment. This reads the
/// sources (found from this file's path) and names each `public` or `open` declaration with no
/// `///` line directly above it or above its attribute lines. `public extension` blocks are
/// skipped (their members are checked one by one); enum cases, which carry no `public`, are not
/// checked.
///
/// Covers every library product of Package.swift (read from the manifest, so a new library is
/// covered when it is added): the folder of each is Sources/NAME, or the `path:` its target gives
/// (Lessons).
@Suite("Public declarations have doc comments")
struct DocCommentCoverageTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The targets of the `.library(name:targets:)` products in Package.swift.
    static let modules: [String] = {
        guard let manifest = try? String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        else { return [] }
        let library = #/\.library\(name:\s*"[^"]+",\s*targets:\s*\[([^\]]*)\]/#
        return manifest.matches(of: library).flatMap { match in
            match.output.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
    }()

    /// The folder of `module`'s sources: the `path:` of its target in Package.swift, else Sources/NAME.
    static func folder(of module: String) -> URL {
        if let manifest = try? String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8),
           let start = manifest.range(of: ".target(\n            name: \"\(module)\"") ?? manifest.range(of: ".target(name: \"\(module)\""),
           let end = manifest[start.upperBound...].range(of: "\n        ),") ?? manifest[start.upperBound...].range(of: ")"),
           let path = manifest[start.upperBound..<end.lowerBound].firstMatch(of: #/path:\s*"([^"]+)"/#) {
            return root.appendingPathComponent(String(path.output.1))
        }
        return root.appendingPathComponent("Sources").appendingPathComponent(module)
    }

    /// The 0-based indices of the public declarations among `lines`, and of those without a
    /// `///` line directly above them or above their attribute lines.
    static func publicDeclarations(in lines: [String]) -> (all: [Int], undocumented: [Int]) {
        // A line that declares something public: optional attributes, then `public` or `open`
        // (not `public extension` / `public import`).
        let declaration = #/^\s*(@[\w.]+(\([^)]*\))?\s+)*(public|open)\b(?!\s+(extension|import)\b)/#
        var all: [Int] = [], undocumented: [Int] = []
        for (index, line) in lines.enumerated() where line.firstMatch(of: declaration) != nil {
            all.append(index)
            var above = index - 1
            while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") {
                above -= 1
            }
            if !(above >= 0 && lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("///")) {
                undocumented.append(index)
            }
        }
        return (all, undocumented)
    }

    /// The number of public declarations of `module`, and "Module/File.swift:LINE: declaration"
    /// for each one without a doc comment.
    static func check(module: String) throws -> (count: Int, missing: [String]) {
        let folder = folder(of: module)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".swift") }.sorted()
        var count = 0
        var missing: [String] = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let found = publicDeclarations(in: lines)
            count += found.all.count
            for index in found.undocumented {
                missing.append("\(module)/\(file):\(index + 1): \(lines[index].trimmingCharacters(in: .whitespaces))")
            }
        }
        return (count, missing)
    }

    @Test(arguments: modules)
    func everyPublicDeclarationHasADocComment(module: String) throws {
        let (count, missing) = try Self.check(module: module)
        #expect(count > 0, "no public declarations found in \(Self.folder(of: module).path)")
        #expect(missing.isEmpty, "\(missing.count) public declarations without a /// comment:\n\(missing.joined(separator: "\n"))")
    }

    /// Every library product is covered, Lessons (outside Sources) from its own folder.
    @Test func everyLibraryProductIsCovered() {
        #expect(Self.modules == ["TensorCore", "Localization", "Transformer", "Tokenizers", "Training", "Catalog",
                                 "Figures", "ModelIO", "Terminal", "Explorer", "TrainedModels", "Lessons", "Analysis",
                                 "InteractiveViews"])
        #expect(Self.folder(of: "Lessons") == Self.root.appendingPathComponent("Lessons"))
        #expect(Self.folder(of: "Training") == Self.root.appendingPathComponent("Sources/Training"))
    }

    /// The rule itself: what counts as a declaration and as its doc comment.
    @Test func theRuleFindsWhatItShould() {
        let lines = [
            "/// Documented.",
            "public struct A {",
            "    public var undocumented: Int",
            "    /// Documented through its attribute.",
            "    @inlinable",
            "    public func f() {}",
            "    // A plain comment is not a doc comment.",
            "    public init() {}",
            "    /// Documented, attribute on the same line.",
            "    @discardableResult public func g() -> Int { 0 }",
            "    var internalValue = 0",
            "}",
            "public extension A {}",
            "open class B {}",
        ]
        let found = Self.publicDeclarations(in: lines)
        #expect(found.all == [1, 2, 5, 7, 9, 13])
        #expect(found.undocumented == [2, 7, 13])
    }
}
