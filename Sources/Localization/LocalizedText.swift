/// Text written in English in the code that is shown in the current language.
///
/// A string literal with interpolations becomes a template and its arguments:
/// `"The short one is padded to \(length)."` is the template `"The short one is padded to {1}."`
/// with the argument `"6"`. The template is the key a string table translates; the translation
/// puts the arguments back where its own `{1}`, `{2}`, … are, in any order. So the numbers a
/// lesson prints are computed once and are the same in every language.
public struct LocalizedText: ExpressibleByStringInterpolation, Sendable, Hashable {
    /// The English text with `{1}`, `{2}`, … where the arguments go.
    public let template: String
    /// The interpolated values, already formatted.
    public let arguments: [String]

    /// Text from a template with `{1}`, `{2}`, … and the values that fill them.
    public init(template: String, arguments: [String] = []) {
        self.template = template
        self.arguments = arguments
    }

    /// A literal without interpolations: the template is the text itself.
    public init(stringLiteral value: String) {
        self.init(template: value)
    }

    /// A literal with interpolations: each becomes `{n}` in the template and the n-th argument.
    public init(stringInterpolation: Interpolation) {
        self.init(template: stringInterpolation.template, arguments: stringInterpolation.arguments)
    }

    /// Builds the template and the arguments of an interpolated literal.
    public struct Interpolation: StringInterpolationProtocol {
        var template = ""
        var arguments: [String] = []

        /// An empty template with room for the literal and the placeholders.
        public init(literalCapacity: Int, interpolationCount: Int) {
            template.reserveCapacity(literalCapacity + 4 * interpolationCount)
        }

        /// Adds literal text to the template.
        public mutating func appendLiteral(_ literal: String) { template += literal }

        /// Adds a placeholder and `value` as its argument, formatted with `String(describing:)`.
        public mutating func appendInterpolation<Value>(_ value: Value) {
            append(String(describing: value))
        }

        /// A piece of text that is itself translatable goes in translated.
        public mutating func appendInterpolation(_ text: LocalizedText) {
            append(text.localized)
        }

        private mutating func append(_ argument: String) {
            arguments.append(argument)
            template += "{\(arguments.count)}"
        }
    }

    /// The text in `Language.current`: the table's translation with the arguments filled in, or
    /// the English when the table has none.
    public var localized: String { localized(in: Language.current) }

    /// The text in `language`: the table's translation with the arguments filled in, or the
    /// English when the table has none (recorded by a `TranslationRecorder` when one is active).
    public func localized(in language: Language) -> String {
        let translation = language == .english ? nil : StringTables.shared.translation(of: template, in: language)
        if translation == nil && language != .english { TranslationRecorder.current?.recordMissing(template, language: language) }
        return Self.fill(translation ?? template, with: arguments)
    }

    /// `template` with each `{n}` (1-based) replaced by `arguments[n-1]`. Braces that are not a
    /// placeholder of an existing argument stay as they are.
    static func fill(_ template: String, with arguments: [String]) -> String {
        guard !arguments.isEmpty, template.contains("{") else { return template }
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            let digits = rest[afterOpen...].prefix { $0.isASCII && $0.isNumber }
            let close = digits.endIndex
            if !digits.isEmpty, close < rest.endIndex, rest[close] == "}", let n = Int(digits), (1...arguments.count).contains(n) {
                result += arguments[n - 1]
                rest = rest[rest.index(after: close)...]
            } else {
                result.append("{")
                rest = rest[afterOpen...]
            }
        }
        return result + rest
    }
}

/// `text` in the current language: `localized("Masks")`, `localized("head \(h + 1)")`.
public func localized(_ text: LocalizedText) -> String { text.localized }
