import Foundation

/// A language the lessons, the menu and the figures can be shown in.
///
/// English is the source language: the text is written in English in the code, and every other
/// language is a folder of string tables (`Strings/<code>/*.txt`) that translate it. Adding a
/// language means adding such a folder; no lesson changes.
public struct Language: Hashable, Sendable, CustomStringConvertible {
    /// The code used by `--lang`, `TX_LANG` and the folder name: "en", "zh".
    public let code: String

    /// The language with this code; `available` says which ones have string tables.
    public init(code: String) { self.code = code }

    /// English, the language of the code, always available.
    public static let english = Language(code: "en")
    /// Simplified Chinese.
    public static let chinese = Language(code: "zh")

    /// The code ("en", "zh").
    public var description: String { code }

    /// The language of the text being produced now: lessons, figures and the pager read it.
    /// `Lesson.run` and the `tx` commands set it for the work they do, so runs in different
    /// languages can go on at the same time (in tests) without sharing a global.
    @TaskLocal public static var current: Language = .english

    /// English plus every language that has a folder of string tables.
    public static var available: [Language] {
        [.english] + StringTables.shared.languages.filter { $0 != .english }
    }

    /// The language asked for by `option` (`--lang`), else `TX_LANG`, else the locale
    /// (`LC_ALL`, then `LC_MESSAGES`, then `LANG`, the POSIX order). A locale that is not
    /// available falls back to English quietly; an unknown `--lang` or `TX_LANG` is an error.
    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> Language {
        if let option { return try named(option, from: "--lang") }
        if let variable = environment["TX_LANG"], !variable.isEmpty { return try named(variable, from: "TX_LANG") }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        // "zh_CN.UTF-8", "zh_TW", "zh" → zh; "en_US.UTF-8", "C", "POSIX", "de_DE" → the code if available.
        let code = String(locale.prefix { $0.isLetter }).lowercased()
        return available.first { $0.code == code } ?? .english
    }

    /// The language called `name` ("zh", "ZH", "zh_CN", "zh-Hans", "chinese", "中文", "en", "english").
    static func named(_ name: String, from source: String) throws -> Language {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        let aliases = ["english": "en", "chinese": "zh", "中文": "zh", "英文": "en"]
        let code = aliases[key] ?? String(key.prefix { $0.isLetter })
        guard let language = available.first(where: { $0.code == code }) else {
            throw LanguageError.unknown(name: name, source: source)
        }
        return language
    }
}

/// A language that was asked for but has no string tables.
public enum LanguageError: Error, CustomStringConvertible, LocalizedError {
    /// `name` given by `source` (`--lang` or `TX_LANG`) is not an available language.
    case unknown(name: String, source: String)

    /// "SOURCE NAME: unknown language; available: en, zh", printable as it is.
    public var description: String {
        switch self {
        case let .unknown(name, source):
            let codes = Language.available.map(\.code).joined(separator: ", ")
            return "\(source) \(name): unknown language; available: \(codes)"
        }
    }
}

extension LanguageError {
    /// The same message as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
