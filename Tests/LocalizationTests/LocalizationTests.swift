import Testing
@testable import Localization

@Suite struct LocalizedTextTests {
    @Test func interpolationBecomesATemplateAndItsArguments() {
        let tokens = 6, word = "[PAD]"
        let text: LocalizedText = "padded to \(tokens) with \(word)"
        #expect(text.template == "padded to {1} with {2}")
        #expect(text.arguments == ["6", "[PAD]"])
        #expect(text.localized(in: .english) == "padded to 6 with [PAD]")
    }

    @Test func fillPutsArgumentsWhereTheTranslationWantsThem() {
        #expect(LocalizedText.fill("用 {2} 填充到 {1}", with: ["6", "[PAD]"]) == "用 [PAD] 填充到 6")
        // Braces that are not a placeholder of an argument stay.
        #expect(LocalizedText.fill("{x} {3} {1}{", with: ["a"]) == "{x} {3} a{")
        #expect(LocalizedText.fill("no arguments {1}", with: []) == "no arguments {1}")
    }

    @Test func aMissingTranslationFallsBackToEnglishAndIsRecorded() {
        let recorder = TranslationRecorder()
        let shown = TranslationRecorder.$current.withValue(recorder) {
            LocalizedText(template: "a sentence no table has {1}", arguments: ["7"]).localized(in: .chinese)
        }
        #expect(shown == "a sentence no table has 7")
        #expect(recorder.untranslated == ["a sentence no table has {1}"])
    }

    @Test func theCurrentLanguageIsPerTask() {
        let english = LocalizedText(template: "Figures written:")
        let inChinese = Language.$current.withValue(.chinese) { english.localized }
        #expect(inChinese != "Figures written:")
        #expect(english.localized == "Figures written:")
    }
}

@Suite struct StringTableTests {
    @Test func entriesMayBeOneLineOrManyAndKeepInnerBlankLines() {
        let text = """
            # comment
            en: The padding mask
            zh: 填充掩码
            # a comment between entries

            en:
            First paragraph {1}.
            ##ization starts a line

              indented line
            zh:
            第一段 {1}。

              缩进的一行

            """
        let parsed = StringTables.parse(text, code: "zh")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.entries.count == 2)
        #expect(parsed.entries[0] == ("The padding mask", "填充掩码"))
        #expect(parsed.entries[1] == ("First paragraph {1}.\n##ization starts a line\n\n  indented line", "第一段 {1}。\n\n  缩进的一行"))
    }

    @Test func problemsAreReported() {
        let parsed = StringTables.parse("stray line\nen: untranslated\nen: x\nzh:\n", code: "zh")
        #expect(parsed.problems.count == 3)
        #expect(parsed.entries.isEmpty)
    }

    @Test func theShippedTablesHaveNoProblems() {
        #expect(StringTables.shared.problems == [])
        #expect(StringTables.shared.languages.contains(.chinese))
    }
}

@Suite struct LanguageChoiceTests {
    @Test(arguments: [
        (nil, [:], "en"),
        (nil, ["LANG": "zh_CN.UTF-8"], "zh"),
        (nil, ["LANG": "zh_TW.UTF-8"], "zh"),
        (nil, ["LANG": "de_DE.UTF-8"], "en"),
        (nil, ["LANG": "C"], "en"),
        (nil, ["LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"], "en"),
        (nil, ["LC_MESSAGES": "zh_CN.UTF-8", "LC_ALL": "en_GB"], "en"),
        (nil, ["LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"], "zh"),
        (nil, ["TX_LANG": "zh", "LANG": "en_US.UTF-8"], "zh"),
        (nil, ["TX_LANG": "en", "LC_ALL": "zh_CN.UTF-8"], "en"),
        ("zh", ["TX_LANG": "en"], "zh"),
        ("EN", ["LANG": "zh_CN.UTF-8"], "en"),
        ("zh-Hans", [:], "zh"),
        ("中文", [:], "zh"),
    ] as [(String?, [String: String], String)])
    func optionThenTXLangThenLocale(option: String?, environment: [String: String], expected: String) throws {
        #expect(try Language.resolve(option: option, environment: environment).code == expected)
    }

    @Test func anUnknownLanguageIsAnErrorThatListsTheAvailableOnes() {
        #expect(throws: LanguageError.self) { try Language.resolve(option: "fr", environment: [:]) }
        #expect(throws: LanguageError.self) { try Language.resolve(option: nil, environment: ["TX_LANG": "klingon"]) }
        let message = "\(LanguageError.unknown(name: "fr", source: "--lang"))"
        #expect(message == "--lang fr: unknown language; available: en, zh")
    }
}
