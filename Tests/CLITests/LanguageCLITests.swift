import Foundation
import Testing

/// `--lang`, `TX_LANG` and the locale, as a learner meets them on the command line.
@Suite("tx in Chinese")
struct LanguageCLITests {
    @Test func langZhListsTheLessonsInChinese() throws {
        let tx = try TX()
        let result = try tx.run(["list", "--lang", "zh"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("TransformerExplorer 课程"))
        #expect(result.stdout.contains("  4  masks             掩码 — 填充掩码与前瞻掩码"))
        #expect(result.stdout.contains("开始一课：tx lesson <编号或名称>"))
    }

    @Test(arguments: [
        (["LANG": "zh_CN.UTF-8", "TX_LANG": ""], true),
        (["LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8", "TX_LANG": ""], true),
        (["LANG": "zh_CN.UTF-8", "TX_LANG": "en"], false),
        (["LANG": "de_DE.UTF-8", "TX_LANG": ""], false),
        (["TX_LANG": "zh"], true),
    ])
    func theLocaleChoosesUnlessTXLangSays(environment: [String: String], chinese: Bool) throws {
        let tx = try TX()
        let result = try tx.run([], environment: environment)
        #expect(result.status == 0)
        #expect(result.stdout.contains("TransformerExplorer 课程") == chinese)
        #expect(result.stdout.contains("TransformerExplorer lessons") == !chinese)
    }

    @Test func aLessonInChineseWritesTheSameFiguresAndLacksNoText() throws {
        let english = try TX(), chinese = try TX()
        let missing = chinese.directory.appendingPathComponent("missing.txt").path
        let en = try english.run(["lesson", "4", "--no-pause"])
        let zh = try chinese.run(["lesson", "masks", "--lang", "zh", "--no-pause"], environment: ["TX_UNTRANSLATED": missing])
        #expect(en.status == 0 && zh.status == 0)
        #expect(zh.stdout.contains("── 第 4 课 · 掩码 ──"))
        #expect(zh.stdout.contains("第 1/5 步"))
        #expect(zh.stdout.contains("小结：填充掩码挡住 [PAD] 键"))
        #expect(zh.stdout.contains("下一课：第 5 课 · 多头注意力 · tx lesson 5"))
        // The same figures, and every text the run needed had a translation (nothing reported).
        #expect(english.files("Output") == chinese.files("Output").filter { $0 != "missing.txt" })
        #expect(!FileManager.default.fileExists(atPath: missing))
        // The matrices are the same numbers (the Σ column is as wide as its heading, 行 or row).
        let weightRows = { (text: String) in
            text.split(separator: "\n").filter { $0.hasPrefix("[PAD]   0.") }.map { $0.split(separator: " ") }
        }
        #expect(!weightRows(en.stdout).isEmpty && weightRows(en.stdout) == weightRows(zh.stdout))
    }

    /// Without the real models, lessons 0, 1, 11 and 14 say how to get them: in Chinese too.
    @Test(arguments: [0, 1, 11, 14])
    func withoutTheRealModelsTheLessonsSayHowToGetThemInChinese(lesson: Int) throws {
        let tx = try TX()
        let missing = tx.directory.appendingPathComponent("missing.txt").path
        let result = try tx.run(["lesson", String(lesson), "--lang", "zh", "--no-pause"],
                                environment: ["TX_MODELS_DIR": try TX.emptyModelsFolder(), "TX_UNTRANSLATED": missing])
        #expect(result.status == 0)
        #expect(result.stdout.contains("./scripts/fetch-models.sh"))
        let untranslated = (try? String(contentsOfFile: missing, encoding: .utf8)) ?? ""
        #expect(untranslated.isEmpty, "lesson \(lesson) without models lacks Chinese for:\n\(untranslated)")
    }

    @Test(arguments: [
        (["lesson", "4", "--lang", "fr", "--no-pause"], [String: String](), "Error: --lang fr: unknown language; available: en, zh"),
        (["list"], ["TX_LANG": "klingon"], "Error: TX_LANG klingon: unknown language; available: en, zh"),
        (["lesson", "99", "--lang", "zh"], [:], "Error: 没有“99”这一课；现有的课程："),
    ])
    func badLanguagesAndLessonsGetOneLine(arguments: [String], environment: [String: String], message: String) throws {
        let tx = try TX()
        let result = try tx.run(arguments, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix(message))
        #expect(result.stdout.isEmpty)
        #expect(tx.files().isEmpty)
    }
}
