import Figures
import Foundation
import ModelIO
import Testing
import Transformer
@testable import tx

/// Issue 21's CLI conventions: `--json -`, options that would be ignored are refused, argument
/// checks before the output folder, the default Output/ folder, one numbering of layers and
/// heads, --no-color, shell completion, and the trace JSON read from Python.
@Suite("tx CLI conventions (issue 21)")
struct CLIConventionsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    // MARK: --json -

    /// `--json -` writes exactly the bytes `--json FILE` writes (and a newline) to stdout, and
    /// nothing else; the report goes to stderr and the figure is still written.
    @Test(arguments: [["--arch", "encoder", "--weights", "random"], []])
    func jsonDashWritesTheTraceToStandardOutputOnly(_ model: [String]) throws {
        let tx = try TX()
        let arguments = ["attention", "--text", "I love you"] + model
        let file = try tx.run(arguments + ["--json", "t.json", "--out", "a.png"])
        #expect(file.status == 0, "\(file.stderr)")
        let piped = try tx.run(arguments + ["--json", "-", "--out", "b.png"])
        #expect(piped.status == 0, "\(piped.stderr)")
        let written = try #require(tx.data("t.json"))
        #expect(Data(piped.stdout.utf8) == written + Data("\n".utf8))
        #expect(piped.stderr.contains("Wrote b.png"))
        // The report that goes to stdout without `--json -` (compared with the file run's).
        #expect(piped.stderr.contains(model.isEmpty ? "Tokens (3): I · love · you" : "layer 1, head 1 (2 layers × 4 heads)"))
        #expect(file.stdout.contains(model.isEmpty ? "Tokens (3): I · love · you" : "layer 1, head 1 (2 layers × 4 heads)"))
        #expect(!piped.stderr.contains("t.json") && !piped.stderr.contains("Wrote -"))
        #expect(tx.files() == ["a.png", "b.png", "t.json"])
        #expect(tx.data("a.png") == tx.data("b.png"))
        // What every trace carries: the schema's version, the model, the text.
        let object = try #require(try JSONSerialization.jsonObject(with: written) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 2)
        #expect(object["text"] as? String == "I love you")
        #expect(object["model"] as? String == (model.isEmpty ? "one randomly initialised head (seed 7)"
                                                              : "an untrained tiny encoder model (seed 7)"))
    }

    @Test(.enabled(if: minilmInstalled, "needs scripts/fetch-models.sh"))
    func jsonDashWithARealModel() throws {
        let tx = try TX()
        let result = try tx.run(["attention", "--model", "minilm", "--text", "a river bank", "--json", "-", "--out", "a.png"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["model"] as? String == "all-MiniLM-L6-v2")
        #expect(object["text"] as? String == "a river bank")
        #expect(object["schemaVersion"] as? Int == 2)
        #expect((object["tokenIDs"] as? [Int])?.count == 5)   // [CLS] a river bank [SEP]
        #expect(result.stderr.contains("Layer 1, head 1"))
    }

    // MARK: Refusals

    /// Each case: one line on stderr, a non-zero exit, nothing written.
    static let refusals: [(arguments: [String], message: String)] = [
        (["attention", "--text", sentence, "--arch", "encoder", "--view", "grid", "--head", "2"],
         "--head would be ignored: --view grid draws every head of --layer"),
        (["attention", "--text", sentence, "--arch", "decoder", "--view", "lines", "--head", "1"],
         "--head would be ignored: --view lines draws every head of --layer"),
        (["attention", "--text", sentence, "--arch", "encoder", "--view", "model", "--layer", "2"],
         "--layer would be ignored: --view model draws every layer and head"),
        (["attention", "--text", sentence, "--arch", "encoder-decoder", "--view", "model", "--layer", "1", "--head", "1"],
         "--layer and --head would be ignored: --view model draws every layer and head"),
        (["attention", "--text", sentence, "--model", "minilm", "--view", "model", "--head", "3"],
         "--head would be ignored: --view model draws every layer and head"),
        (["attention", "--text", sentence, "--layer", "1"], "--layer needs a model: add --arch"),
        (["attention", "--text", sentence, "--head", "1"], "--head needs a model: add --arch"),
        (["attention", "--text", sentence, "--view", "heatmap", "--kind", "cross"], "--kind needs a model: add --arch"),
        (["attention", "--text", sentence, "--view", "model"], "--view model needs a model"),
        (["attention", "--text", sentence, "--model", "minilm", "--kind", "cross"],
         "--kind would be ignored: with --model the model decides them"),
        (["attention", "--text", sentence, "--arch", "encoder", "--kind", "cross"],
         "--kind cross: a encoder model has only encoder-self"),
        (["attention", "--text", sentence, "--arch", "encoder", "--truncate"], "--truncate goes with --model"),
        (["attention", "--text", sentence, "--arch", "decoder", "--target", "x"],
         "--target would be ignored: the untrained decoder model reads --text only"),
        (["attention", "--text", sentence, "--json", "trace.txt"],
         "--json needs a path ending in .json (or - for standard output), got trace.txt"),
        (["analyze", "ablate", "--model", "lm", "--text", "i saw a ball", "--layer", "1", "--head", "1", "--kind", "cross"],
         "--kind goes with --model translator"),
    ]

    @Test(arguments: refusals.indices)
    func optionsThatWouldBeIgnoredAreRefused(_ index: Int) throws {
        let (arguments, message) = Self.refusals[index]
        let tx = try TX()
        // A figure path in the test's folder, so that a refusal that came too late would show as a file.
        let result = try tx.run(arguments + (arguments[0] == "attention" ? ["--out", "a.png"] : []))
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: \(message)"), "\(result.stderr)")
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(tx.files().isEmpty)
    }

    // MARK: Argument checks before the output folder; the default folder

    static let argumentBeforeFolder: [(arguments: [String], message: String)] = [
        (["attention", "--text", sentence, "--arch", "encoder", "--layer", "5", "--out", "no/such/a.png"],
         "--layer 5 is out of range: this model has layers 1…2"),
        (["attention", "--text", sentence, "--arch", "encoder", "--head", "9", "--out", "no/such/a.png"],
         "--head 9 is out of range: this model has heads 1…4"),
        (["attention", "--text", "  ", "--arch", "encoder", "--weights", "random", "--out", "no/such/a.png"], "--text is empty"),
        (["attention", "--text", sentence, "--json", "-", "--with-qk", "--layer", "0", "--out", "no/such/a.png"],
         "--layer 0 is out of range"),
        (["compare", "--text", "", "--out", "no/such/a.png"], "--text is empty"),
        (["mlm", "--text", "", "--out", "no/such/a.png"], "empty"),
        (["shift", "--source", "", "--target", "x", "--out", "no/such/a.png"], "--source is empty"),
        (["analyze", "lens", "--model", "bert", "--text", "我是学生 [SEP] I am a [MASK]", "--out", "no/such/a.png"],
         "the logit lens reads a decoder's next-token guesses"),
        (["generate", "--model", "lm", "--text", "zebra xylophone", "--out-dir", "no/such"],
         "the language model does not know \"zebra\", \"xylophone\""),
        (["analyze", "rollout", "--model", "lm", "--text", "i saw a ball", "--out", "no/such/a.png"],
         "rollout and flow are for encoders"),
    ]

    @Test(arguments: argumentBeforeFolder.indices)
    func aWrongArgumentIsReportedBeforeAMissingFolder(_ index: Int) throws {
        let (arguments, message) = Self.argumentBeforeFolder[index]
        let tx = try TX()
        let result = try tx.run(arguments)
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(tx.files().isEmpty)
    }

    @Test(.enabled(if: minilmInstalled, "needs scripts/fetch-models.sh"))
    func aRealModelsLayerIsReportedBeforeAMissingFolder() throws {
        let tx = try TX()
        let result = try tx.run(["attention", "--model", "minilm", "--text", sentence, "--layer", "7", "--out", "no/such/a.png"])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: --layer 7 is out of range: all-MiniLM-L6-v2 has layers 1…6\n")
    }

    /// A fresh folder has no Output/: the default --out creates it; a folder the user names
    /// must exist (a typo creates nothing).
    @Test(arguments: [(["attention", "--text", "I love you"], "Output/attention.png"),
                      (["compare", "--text", "我是一个学生"], "Output/compare.png"),
                      (["shift", "--source", "我是一个学生", "--target", "I am a student"], "Output/shift.png")])
    func theDefaultOutputFolderIsCreated(_ arguments: [String], _ figure: String) throws {
        let tx = try TX()
        let result = try tx.run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(tx.files() == ["Output", figure])
        let given = try TX()
        let refused = try given.run(arguments + ["--out", "Mine/figure.png"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Mine"), "\(refused.stderr)")
        #expect(given.files().isEmpty)
    }

    /// tx explore's default folder too: the first save creates Output/.
    @Test func exploreCreatesTheDefaultOutputFolderAtTheFirstSave() throws {
        let tx = try TX()
        let pty = try PseudoTerminal(ExploreTerminalTests.arguments, in: tx.directory)
        #expect(pty.read(until: { $0.contains("cross · layer 1/2 · head 1/4 · heatmap") }))
        pty.send("j")
        #expect(pty.read(until: { $0.contains("saved Output/explore-translator-trace.json") }))
        pty.send("q")
        #expect(pty.waitForExit())
        #expect(tx.files() == ["Output", "Output/explore-translator-trace.json"])
    }

    // MARK: Numbering

    /// Flags and the terminal count from 1, the JSON from 0: `--layer 2 --head 3` prints "layer
    /// 2, head 3" and the grid it prints is the JSON entry with "layer" 1 and "head" 2.
    @Test(arguments: [(1, 1), (2, 3)])
    func layersAndHeadsCountFromOneInFlagsAndFromZeroInJSON(_ layer: Int, _ head: Int) throws {
        let tx = try TX()
        let result = try tx.run(["attention", "--text", "I love you", "--arch", "encoder", "--weights", "random",
                                 "--layer", String(layer), "--head", String(head), "--json", "t.json", "--out", "a.png"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("layer \(layer), head \(head) (2 layers × 4 heads)"))
        let data = try #require(tx.data("t.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try #require(object["entries"] as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["layer"] as? Int }) == [0, 1])
        #expect(Set(entries.compactMap { $0["head"] as? Int }) == [0, 1, 2, 3])
        let entry = try #require(entries.first { $0["layer"] as? Int == layer - 1 && $0["head"] as? Int == head - 1 })
        let weights = try #require(entry["weights"] as? [[Double]])
        // The terminal grid's rows: a label, then each weight with two decimals.
        let rows = result.stdout.split(separator: "\n").filter { line in ["I ", "love ", "you "].contains { line.hasPrefix($0) } }
        #expect(rows.count == 3)
        for (row, line) in zip(weights, rows) {
            let printed = line.split(separator: " ").dropFirst().map { String($0.prefix { "0123456789.".contains($0) }) }
            #expect(printed == row.map { String(format: "%.2f", $0) }, "\(line)")
        }
    }

    /// The figure's title counts from 1 too: the heatmap `tx attention --layer 2 --head 3` draws
    /// is titled "layer 2, head 3" and shows the trace's entry with layer 1 and head 2.
    @Test func theFiguresTitleCountsFromOne() throws {
        let demo = try makeArchitectureDemo(text: "I love you", target: nil, seed: 7, weights: .random)
        let trace = demo.trace(.encoder)
        let chart = try AttentionCharts.architecture(.heatmap, architecture: .encoder, trace: trace, kind: .encoderSelf,
                                                     layer: 2, head: 3, weights: .random, seed: 7)
        let heatmap = try #require(chart as? Heatmap)
        #expect(heatmap.title.hasSuffix("layer 2, head 3"), "\(heatmap.title)")
        #expect(heatmap.values == trace.weights(layer: 1, head: 2, kind: .encoderSelf))
    }

    /// A real model's figures (`tx attention --model`) say "␣ = space" when a token label shows ␣
    /// (SmolLM2's byte-level tokens), as the lessons' figures do, and none when no label does; the
    /// heatmap's axes are titled "query" and "key" as every attention heatmap's are.
    @Test func realModelFiguresExplainTheSpaceMarker() throws {
        func trace(_ labels: [String]) -> AttentionTrace {
            let n = labels.count
            let weights = (0..<n).map { q in (0..<n).map { k in k <= q ? 1 / Float(q + 1) : 0 } }
            return AttentionTrace(architecture: "decoder", entries: (0..<2).map {
                AttentionTrace.Entry(layer: 0, head: $0, kind: .decoderSelf, queryTokens: labels, keyTokens: labels, weights: weights)
            })
        }
        func subtitles(_ labels: [String]) -> [String] {
            Attention.View.allCases.map { view in
                let chart = AttentionCharts.realModel(view, modelName: "SmolLM2-135M", text: "The capital", trace: trace(labels),
                                                      kind: .decoderSelf, labels: labels, layer: 1, head: 1)
                switch chart {
                case let c as Heatmap: return c.subtitle
                case let c as HeadGrid: return c.subtitle
                case let c as ModelView: return c.subtitle
                case let c as HeadView: return c.subtitle
                default: return "unexpected \(type(of: chart))"
                }
            }
        }
        for subtitle in subtitles(["The", "␣capital"]) { #expect(subtitle.hasSuffix(" · ␣ = space"), "\(subtitle)") }
        for subtitle in subtitles(["[CLS]", "capital"]) { #expect(!subtitle.contains("␣"), "\(subtitle)") }
        let heatmap = try #require(AttentionCharts.realModel(.heatmap, modelName: "SmolLM2-135M", text: "The capital",
                                                             trace: trace(["The", "␣capital"]), kind: .decoderSelf,
                                                             labels: ["The", "␣capital"], layer: 1, head: 1) as? Heatmap)
        #expect(heatmap.yAxisTitle == "query" && heatmap.xAxisTitle == "key")
    }

    // MARK: Colour

    /// Every subcommand that prints colour takes --no-color, and honours NO_COLOR and FORCE_COLOR.
    static let colourCommands: [[String]] = [
        ["list"], ["lesson", "3", "--no-pause"], ["attention", "--text", "I love you", "--out", "a.png"],
        ["generate", "--model", "lm", "--text", "the teacher", "--steps", "2"],
        ["mlm", "--text", "The cat sleeps in the warm garden", "--out", "a.png"], ["params"],
    ]

    @Test(arguments: colourCommands)
    func noColorTurnsColourOff(_ arguments: [String]) throws {
        let tx = try TX()
        let escape = "\u{1B}["
        let forced = try tx.run(arguments, environment: ["NO_COLOR": "", "FORCE_COLOR": "1"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains(escape))
        let flag = try tx.run(arguments + ["--no-color"], environment: ["NO_COLOR": "", "FORCE_COLOR": "1"])
        #expect(flag.status == 0, "\(flag.stderr)")
        #expect(!flag.stdout.contains(escape) && !flag.stderr.contains(escape))
        let variable = try tx.run(arguments, environment: ["NO_COLOR": "1", "FORCE_COLOR": "1"])
        #expect(!variable.stdout.contains(escape))
        #expect(variable.stdout == flag.stdout)
    }

    // MARK: Shell completion

    /// The bash script ArgumentParser generates completes the lessons (as `tx list` names them),
    /// the model names, `tx train`'s models and figure paths; zsh and fish scripts are made too.
    @Test func completionScriptsListTheNames() throws {
        let tx = try TX()
        let bash = try tx.run(["--generate-completion-script", "bash"])
        #expect(bash.status == 0)
        let list = try tx.run(["list"]).stdout
        let slugs = list.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            return words.count > 1 && Int(words[0]) != nil ? String(words[1]) : nil
        }
        #expect(slugs.count >= 15 && slugs.contains("attention"))
        func listed(_ names: [String]) -> String { "-W '" + names.joined(separator: "'$'\\n''") + "'" }
        #expect(bash.stdout.contains(listed(slugs)))
        #expect(bash.stdout.contains(listed(["translator", "lm", "bert", "sft", "reward", "ppo"])))   // tx train
        // --model takes a name or a path, so tx lists both itself (see modelCompletionOffersNamesAndPaths).
        for command in ["attention", "generate", "explore", "analyze rollout", "analyze ablate", "embed"] {
            #expect(bash.stdout.contains("---completion \(command) -- --model"), "tx \(command) --model")
        }
        #expect(bash.stdout.contains("gpt2-medium"))                                          // tx params --model
        // File paths: figures for --out, .json for --json, .safetensors for tx train --out, folders.
        #expect(bash.stdout.contains("-fX '!*.@(png|svg|pdf)'"))
        #expect(bash.stdout.contains("-fX '!*.@(json)'"))
        #expect(bash.stdout.contains("-fX '!*.@(safetensors)'"))
        #expect(bash.stdout.contains("__tx_add_completions -d"))
        for shell in ["zsh", "fish"] {
            let script = try tx.run(["--generate-completion-script", shell])
            #expect(script.status == 0)
            #expect(script.stdout.contains("smollm2") && script.stdout.contains("attention"))
        }
        // The script is valid bash.
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        let script = tx.directory.appendingPathComponent("tx.bash")
        try Data(bash.stdout.utf8).write(to: script)
        check.arguments = ["-n", script.path]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }

    /// What TAB after `--model` offers, asked as the shells' scripts ask it: the names that
    /// start with what was typed, then the folders (with "/") and .gguf/.safetensors files.
    @Test func modelCompletionOffersNamesAndPaths() throws {
        let tx = try TX()
        let files = FileManager.default
        try files.createDirectory(at: tx.directory.appendingPathComponent("models/sub"), withIntermediateDirectories: true)
        try files.createDirectory(at: tx.directory.appendingPathComponent(".hidden"), withIntermediateDirectories: true)
        for name in ["models/a.gguf", "models/notes.txt", "w.safetensors", "minutes.GGUF", "readme.md"] {
            try Data().write(to: tx.directory.appendingPathComponent(name))
        }
        /// The candidates for `tx COMMAND --model TYPED` (the cursor at the end of TYPED).
        func complete(_ command: String, _ typed: String) throws -> [String] {
            let words = command.split(separator: " ").map(String.init)
            let result = try tx.run(["---completion"] + words + ["--", "--model", "\(words.count + 2)", "\(typed.count)",
                                     "tx"] + words + ["--model", typed])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init)
        }
        #expect(try complete("attention", "") == ["minilm", "smollm2", "minutes.GGUF", "models/", "w.safetensors"])
        #expect(try complete("attention", "mi") == ["minilm", "minutes.GGUF"])
        #expect(try complete("explore", "") == ["minilm", "smollm2", "translator", "lm", "bert",
                                                 "minutes.GGUF", "models/", "w.safetensors"])
        #expect(try complete("generate", "l") == ["lm"])
        #expect(try complete("analyze rollout", "models/") == ["models/a.gguf", "models/sub/"])
        #expect(try complete("embed", ".h") == [".hidden/"])
        #expect(try complete("attention", "no/such/") == [])
    }

    // MARK: Token ids in the toy models' traces

    /// The single random head numbers the text's distinct words (case-insensitively, as its
    /// embedding does) in order of appearance; `--arch … --weights random` numbers the distinct
    /// tokens of its toy vocabulary; the trained models use their own vocabularies.
    @Test func toyTracesCarryTheirTokenIDs() throws {
        let tx = try TX()
        func trace(_ arguments: [String]) throws -> (ids: [Int]?, tokens: [String]) {
            let result = try tx.run(["attention", "--json", "-", "--out", "a.png"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let entries = try #require(object["entries"] as? [[String: Any]])
            return (object["tokenIDs"] as? [Int], try #require(entries.first?["queryTokens"] as? [String]))
        }
        let head = try trace(["--text", "The cat saw the Cat"])
        #expect(head.ids == [0, 1, 2, 0, 1])
        #expect(head.tokens == ["The", "cat", "saw", "the", "Cat"])
        for architecture in ["encoder", "decoder", "encoder-decoder"] {
            let random = try trace(["--text", "a cat saw a dog", "--arch", architecture, "--weights", "random"])
            #expect(random.ids == [0, 1, 2, 0, 3], "\(architecture)")
        }
        // Trained: the encoder reads [CLS] 我 … [SEP] I … [SEP], the decoder <s> I …; ids in their
        // vocabularies, one per query label, equal tokens equal ids.
        for architecture in ["encoder", "decoder", "encoder-decoder"] {
            let trained = try trace(["--text", "我是学生", "--arch", architecture])
            let ids = try #require(trained.ids, "\(architecture)")
            #expect(ids.count == trained.tokens.count)
            for i in ids.indices { for j in ids.indices where trained.tokens[i] == trained.tokens[j] { #expect(ids[i] == ids[j]) } }
            if architecture == "encoder" {
                #expect(ids.first == 2 && trained.tokens.first == "[CLS]")   // TinyBERT's special ids: [PAD] [UNK] [CLS] [SEP] [MASK]
                #expect(ids.last == 3 && trained.tokens.last == "[SEP]")
            }
        }
    }

    // MARK: The trace in Python (BertViz's shape)

    /// The Python function in docs/trace-schema.md, run with python3 on a trace tx wrote: one
    /// list per layer of [1][heads][queries][keys], and the weights of the file.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs python3"))
    func theSchemaPagesPythonLoadsATraceInBertVizsShape() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/trace-schema.md"), encoding: .utf8)
        let section = try #require(page.range(of: "## Loading a trace into BertViz"))
        let body = page[section.upperBound...]
        let start = try #require(body.range(of: "```python\n"))
        let end = try #require(body[start.upperBound...].range(of: "```"))
        let function = String(body[start.upperBound..<end.lowerBound])
        #expect(function.contains("def trace_to_bertviz("))

        let tx = try TX()
        let written = try tx.run(["attention", "--text", "I love you", "--arch", "encoder", "--weights", "random",
                                  "--json", "t.json", "--out", "a.png"])
        #expect(written.status == 0, "\(written.stderr)")
        let driver = function + """

            import sys
            attention, tokens = trace_to_bertviz(sys.argv[1])
            shape = [len(attention), len(attention[0]), len(attention[0][0]), len(attention[0][0][0]), len(attention[0][0][0][0])]
            print(json.dumps({"shape": shape, "tokens": tokens, "weight": attention[1][0][2][0][1]}))
            """
        try Data(driver.utf8).write(to: tx.directory.appendingPathComponent("load.py"))
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["load.py", "t.json"]
        python.currentDirectoryURL = tx.directory
        let out = Pipe(), err = Pipe()
        python.standardOutput = out
        python.standardError = err
        try python.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "\(errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        #expect(result["shape"] as? [Int] == [2, 1, 4, 3, 3])   // layers, batch, heads, queries, keys
        #expect(result["tokens"] as? [String] == ["I", "love", "you"])
        // Layer 2, head 3, query "I", key "love" (0-based in the file and in Python).
        let data = try #require(tx.data("t.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try #require((object["entries"] as? [[String: Any]])?.first { $0["layer"] as? Int == 1 && $0["head"] as? Int == 2 })
        let weight = try #require((entry["weights"] as? [[Double]])?[0][1])
        #expect(result["weight"] as? Double == weight)
        #expect(weight > 0 && weight < 1)
    }
}
