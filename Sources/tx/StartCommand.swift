import ArgumentParser
import Figures
import Foundation
import Lessons
import Terminal

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the lesson menu; without a terminal, run every lesson and write every figure.",
        discussion: """
            In a terminal: pick a lesson by number or name, step through it, come back to the menu. \
            When stdin is not a terminal (a pipe, CI) or with --no-pause: every written lesson runs \
            without pausing, every figure is written under the output folder, and \
            <output-dir>/gallery.html shows them all on one page.

            Examples:
              tx start
              tx start --no-pause --seed 1
            """
    )

    @OptionGroup var options: LessonOptions

    func run() throws {
        if options.interactive {
            try menu()
        } else {
            try runAll()
        }
    }

    private func menu() throws {
        let style = options.style
        let first = LessonCatalog.available.first
        while true {
            writeOut("\u{1B}[2J\u{1B}[H" + lessonList(style: style) + "\n\n")
            writeOut("Lesson number or name" + (first.map { " (Enter = \($0.number))" } ?? "") + ", q to quit: ")
            guard let answer = readLine()?.trimmingCharacters(in: .whitespaces) else { return }
            if ["q", "quit", "exit"].contains(answer.lowercased()) { return }
            let name = answer.isEmpty ? first.map { String($0.number) } ?? "" : answer
            do {
                let lesson = try LessonCatalog.lookup(name)
                _ = try present(lesson, options: options)
                try writeGallery()
            } catch {
                writeOut(style.warning("\(error)") + "\nPress Enter to continue. ")
                _ = readLine()
            }
        }
    }

    private func runAll() throws {
        for lesson in LessonCatalog.available {
            _ = try present(lesson, options: options)
        }
        let gallery = try writeGallery()
        let numbers = LessonCatalog.available.map { String($0.number) }.joined(separator: ", ")
        writeOut("\nDone: ran every written lesson (\(numbers)). Every figure is under \(options.outputDirectory)/; "
                 + "open \(gallery) to see them all on one page.\n")
    }

    /// An HTML page with every figure under the output folder, grouped by lesson.
    @discardableResult
    private func writeGallery() throws -> String {
        let root = options.outputDirectory
        let manager = FileManager.default
        var sections = ""
        for lesson in LessonCatalog.all {
            let folder = (root as NSString).appendingPathComponent(lesson.directoryName)
            guard let names = try? manager.contentsOfDirectory(atPath: folder) else { continue }
            let images = names.filter { $0.hasSuffix(".png") }.sorted()
            // Interactive pages (tx attention --html) a lesson wrote: linked, not embedded.
            let pages = names.filter { $0.hasSuffix(".html") }.sorted()
            guard !images.isEmpty || !pages.isEmpty else { continue }
            sections += "<h2>\(lesson.number). \(escape(lesson.title))</h2>\n"
            for page in pages {
                let link = "\(lesson.directoryName)/\(page)"
                sections += "<p class=\"interactive\"><a href=\"\(link)\">Interactive attention: \(escape(page))</a> "
                    + "(head, model and neuron views; works offline)</p>\n"
            }
            for image in images {
                let source = "\(lesson.directoryName)/\(image)"
                sections += "<figure><a href=\"\(source)\"><img src=\"\(source)\" alt=\"\(image)\"></a><figcaption>\(image)</figcaption></figure>\n"
            }
        }
        let html = """
            <!doctype html>
            <meta charset="utf-8">
            <title>TransformerExplorer figures</title>
            <style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}
            figure{display:inline-block;margin:0 1em 1.5em 0;vertical-align:top}
            img{max-width:560px;border:1px solid #ddd}figcaption{font-size:small;color:#555}</style>
            <h1>TransformerExplorer figures</h1>
            \(sections)
            """
        let path = (root as NSString).appendingPathComponent("gallery.html")
        do {
            try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
            try writeFileAtomically(Array(html.utf8), to: path)
        } catch {
            throw CLIError("cannot write \(path): \(error.localizedDescription)")
        }
        return path
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
