import Foundation
import Testing

/// Issue 21 (platforms): the package is compiled and tested on Linux only, but declares macOS.
/// Nothing here can compile for macOS (no SDK on the test machine), so this reads the sources:
/// every use of a glibc-only spelling must sit beside its Darwin counterpart, so that the file
/// would compile on macOS too.
@Suite("Linux-only APIs have a Darwin branch")
struct PlatformPortabilityTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folders with the package's Swift code that a macOS build compiles.
    static let folders = ["Sources", "Lessons", "Benchmarks", "Examples"]

    /// Every .swift file under `folders`, as (path relative to the root, its lines).
    static func sourceFiles() throws -> [(path: String, lines: [String])] {
        var files: [(String, [String])] = []
        for folder in folders {
            let url = root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: url.path) else { continue }
            for case let relative as String in walker where relative.hasSuffix(".swift") && !relative.contains(".build") {
                let text = try String(contentsOf: url.appendingPathComponent(relative), encoding: .utf8)
                files.append(("\(folder)/\(relative)", text.components(separatedBy: "\n")))
            }
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// "path:line: why" for each problem in one file: an `import Glibc` not under
    /// `#if canImport(Glibc)` / `#elseif canImport(Glibc)`, a file importing Glibc with no
    /// `import Darwin` under `canImport(Darwin)`, and each glibc-only spelling whose Darwin
    /// counterpart is not in the same file.
    static func problems(path: String, lines: [String]) -> [String] {
        var found: [String] = []
        let trimmed = lines.map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, line) in trimmed.enumerated() where line == "import Glibc" {
            let guardLine = index > 0 ? trimmed[index - 1] : ""
            if guardLine != "#if canImport(Glibc)" && guardLine != "#elseif canImport(Glibc)" {
                found.append("\(path):\(index + 1): import Glibc without #if canImport(Glibc) right above it")
            }
        }
        if trimmed.contains("import Glibc") {
            let darwin = trimmed.indices.contains { i in
                trimmed[i] == "import Darwin" && i > 0
                    && (trimmed[i - 1] == "#if canImport(Darwin)" || trimmed[i - 1] == "#elseif canImport(Darwin)")
            }
            if !darwin { found.append("\(path): imports Glibc with no `#if canImport(Darwin)` / `import Darwin` branch") }
        }
        let text = lines.joined(separator: "\n")
        for (linuxOnly, counterpart) in glibcOnly {
            if let index = lines.firstIndex(where: { $0.contains(linuxOnly) }), !text.contains(counterpart) {
                found.append("\(path):\(index + 1): `\(linuxOnly)` (glibc only) without its Darwin counterpart `\(counterpart)`")
            }
        }
        return found
    }

    /// Spellings that exist only in glibc, with what the same file must also contain for macOS.
    static let glibcOnly: [(String, String)] = [
        ("__sigaction_handler", "__sigaction_u"),             // struct sigaction's handler field
        ("pthread_t()", "pthread_t?"),                         // an integer on glibc, a pointer on Darwin
        ("__libc_current_sigrtmin", "#if os(Linux)"),           // glibc's real-time signal range
        ("__libc_current_sigrtmax", "#if os(Linux)"),
        ("\"/proc/", "(try? String(contentsOfFile: \"/proc/"), // /proc: read with a fallback, never required
    ]

    @Test func everyGlibcUseHasADarwinBranch() throws {
        let files = try Self.sourceFiles()
        #expect(files.count > 100, "found only \(files.count) Swift files under \(Self.folders)")
        #expect(files.contains { $0.lines.contains("import Glibc") })
        let problems = files.flatMap { Self.problems(path: $0.path, lines: $0.lines) }
        #expect(problems.isEmpty, "\(problems.count) Linux-only uses without a Darwin branch:\n\(problems.joined(separator: "\n"))")
    }

    /// The rule itself, on made-up files.
    @Test func theRuleFindsWhatItShould() {
        let good = ["#if canImport(Glibc)", "import Glibc", "#elseif canImport(Darwin)", "import Darwin", "#endif"]
        #expect(Self.problems(path: "good.swift", lines: good).isEmpty)
        let flipped = ["#if canImport(Darwin)", "import Darwin", "#elseif canImport(Glibc)", "import Glibc", "#endif"]
        #expect(Self.problems(path: "flipped.swift", lines: flipped).isEmpty)
        #expect(Self.problems(path: "bare.swift", lines: ["import Glibc"]).count == 2)
        #expect(Self.problems(path: "linux.swift", lines: ["#if canImport(Glibc)", "import Glibc", "#endif"])
                == ["linux.swift: imports Glibc with no `#if canImport(Darwin)` / `import Darwin` branch"])
        let handler = ["import Foundation", "action.__sigaction_handler.sa_handler = f"]
        #expect(Self.problems(path: "h.swift", lines: handler)
                == ["h.swift:2: `__sigaction_handler` (glibc only) without its Darwin counterpart `__sigaction_u`"])
        #expect(Self.problems(path: "h.swift", lines: handler + ["action.__sigaction_u.__sa_handler = f"]).isEmpty)
    }
}
