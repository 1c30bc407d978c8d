import Foundation

/// The translations: every `Strings/<code>/*.txt` file of this module's resources, read once.
///
/// A table file is plain UTF-8 text. A line that is `#` alone or starts with `# ` is a comment,
/// wherever it is (so "##ization" at the start of a line is text).
/// Each entry is the English text after a line starting `en:`, then its translation after a
/// line starting `<code>:` (`zh:`), each running until the next marker; text may follow the
/// marker on the same line (after one space) and may span lines. Trailing blank lines are
/// dropped. `{1}`, `{2}`, … are the values the program fills in.
///
///     en: The padding mask
///     zh: 填充掩码
///
///     en:
///     A batch of two sentences, "I love you" ({1} tokens) …
///     zh:
///     一个批次里有两句话……
package final class StringTables: Sendable {
    package static let shared = StringTables(folder: StringTables.resourceFolder())

    /// English template → translation, per language.
    let tables: [Language: [String: String]]
    /// Problems found while reading (a file without entries, a key given twice with different
    /// translations); the tests require none.
    package let problems: [String]

    package var languages: [Language] { tables.keys.sorted { $0.code < $1.code } }

    init(folder: URL?) {
        var tables: [Language: [String: String]] = [:]
        var problems: [String] = []
        let manager = FileManager.default
        if let folder, let codes = try? manager.contentsOfDirectory(atPath: folder.path) {
            for code in codes.sorted() where !code.hasPrefix(".") {
                let languageFolder = folder.appendingPathComponent(code)
                guard let files = try? manager.contentsOfDirectory(atPath: languageFolder.path) else { continue }
                var table: [String: String] = [:]
                for file in files.sorted() where file.hasSuffix(".txt") {
                    let url = languageFolder.appendingPathComponent(file)
                    guard let data = manager.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
                        problems.append("\(code)/\(file): not readable as UTF-8")
                        continue
                    }
                    let parsed = Self.parse(text, code: code)
                    problems += parsed.problems.map { "\(code)/\(file): \($0)" }
                    for (english, translation) in parsed.entries {
                        if let earlier = table[english], earlier != translation {
                            problems.append("\(code)/\(file): \"\(english.prefix(60))\" is translated twice, differently")
                        }
                        table[english] = translation
                    }
                }
                tables[Language(code: code)] = table
            }
        }
        self.tables = tables
        self.problems = problems
    }

    package func translation(of template: String, in language: Language) -> String? {
        tables[language]?[template]
    }

    /// Every English template the tables of `language` translate.
    package func templates(in language: Language) -> Set<String> {
        Set(tables[language]?.keys ?? [:].keys)
    }

    /// The entries of one table file's text, in order, and what is wrong with it.
    static func parse(_ text: String, code: String) -> (entries: [(String, String)], problems: [String]) {
        var entries: [(String, String)] = []
        var problems: [String] = []
        var english: [String]?, translation: [String]?
        let translationMarker = code + ":"
        func finish() {
            guard let key = english else { return }
            let source = trimmed(key), target = trimmed(translation ?? [])
            if translation == nil || target.isEmpty {
                problems.append("\"\(source.prefix(60))\" has no translation")
            } else {
                entries.append((source, target))
            }
            english = nil
            translation = nil
        }
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine)
            if line == "#" || line.hasPrefix("# ") { continue }
            if line.hasPrefix("en:") {
                finish()
                english = [afterMarker(line, "en:")].compactMap { $0 }
            } else if line.hasPrefix(translationMarker) && english != nil && translation == nil {
                translation = [afterMarker(line, translationMarker)].compactMap { $0 }
            } else if translation != nil {
                translation?.append(line)
            } else if english != nil {
                english?.append(line)
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append("line \(number + 1) is outside any entry")
            }
        }
        finish()
        return (entries, problems)
    }

    /// The text after a marker on its own line ("en: text" → "text"; "en:" alone → nothing).
    private static func afterMarker(_ line: String, _ marker: String) -> String? {
        var rest = line.dropFirst(marker.count)
        if rest.first == " " { rest = rest.dropFirst() }
        return rest.isEmpty ? nil : String(rest)
    }

    /// Lines joined, without the blank lines at either end.
    private static func trimmed(_ lines: [String]) -> String {
        var lines = lines[...]
        while let first = lines.first, first.trimmingCharacters(in: .whitespaces).isEmpty { lines = lines.dropFirst() }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines = lines.dropLast() }
        return lines.joined(separator: "\n")
    }

    /// The `Strings` folder of this module's resources. SwiftPM copies it into a bundle folder
    /// beside the built products; it is looked up by hand (the generated `Bundle.module` stops
    /// the program when the folder is missing), with the source folder as the fallback for a
    /// binary moved away from its build folder in a checkout. Not found: English only.
    static func resourceFolder() -> URL? {
        let bundleName = "TransformerExplorer_Localization.resources"
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        var candidates: [URL] = []
        for base in [Bundle.main.bundleURL, executable.deletingLastPathComponent()] {
            candidates.append(base.appendingPathComponent(bundleName).appendingPathComponent("Strings"))
            // Test runners live one folder down (…/debug/Package.xctest/…).
            candidates.append(base.deletingLastPathComponent().appendingPathComponent(bundleName).appendingPathComponent("Strings"))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Strings"))
        var isFolder: ObjCBool = false
        return candidates.first { FileManager.default.fileExists(atPath: $0.path, isDirectory: &isFolder) && isFolder.boolValue }
    }
}

/// Collects the templates a run asked for that its language has no translation of, so a test
/// can run every lesson in Chinese and require that nothing fell back to English.
package final class TranslationRecorder: @unchecked Sendable {
    // @unchecked: `missing` is only read and written while holding `lock`.
    private let lock = NSLock()
    private var missing: [String] = []

    package init() {}

    @TaskLocal package static var current: TranslationRecorder?

    func recordMissing(_ template: String, language: Language) {
        lock.lock()
        defer { lock.unlock() }
        if !missing.contains(template) { missing.append(template) }
    }

    /// The untranslated templates, in the order they were first asked for.
    package var untranslated: [String] {
        lock.lock()
        defer { lock.unlock() }
        return missing
    }
}
