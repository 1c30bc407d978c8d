import ArgumentParser
import Figures
import Foundation
import Lessons
import Localization
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
        try Language.$current.withValue(options.chosenLanguage()) {
            if options.interactive {
                try menu()
            } else {
                try runAll()
            }
        }
    }

    private func menu() throws {
        ResizeSignal.install()
        var input = StandardInputLines()
        var finished: Set<Int> = []
        var last: Int?
        var message: String?
        while true {
            var style = options.style
            style.width = TerminalStyle.currentWidth()
            let next = Self.nextLesson(after: last, finished: finished)
            var screen = "\u{1B}[2J\u{1B}[H" + lessonList(style: style, finished: finished) + "\n\n"
            if let message { screen += style.warning(message) + "\n" }
            screen += (next.map { localized("Lesson number or name (Enter = \($0.number), \($0.slug)), q to quit:") }
                ?? localized("Lesson number or name, q to quit:")) + " "
            writeOut(style.glyphs(screen))
            message = nil
            let answer: String
            switch input.nextEvent() {
            case .end: writeOut("\n"); return
            case .resized: continue
            case .line(let line): answer = line.trimmingCharacters(in: .whitespaces)
            }
            if ["q", "quit", "exit"].contains(answer.lowercased()) { return }
            let name = answer.isEmpty ? next.map { String($0.number) } ?? "" : answer
            do {
                let lesson = try LessonCatalog.lookup(name)
                if try present(lesson, options: options, input: &input) == .finished { finished.insert(lesson.number) }
                last = lesson.number
                try writeGallery()
            } catch {
                message = "\(error)"
            }
        }
    }

    /// The lesson Enter opens in the menu: the first written one after the last opened that is
    /// not finished yet, else the first unfinished one.
    static func nextLesson(after last: Int?, finished: Set<Int>) -> Lesson? {
        let open = LessonCatalog.available.filter { !finished.contains($0.number) }
        return open.first { $0.number > (last ?? -1) } ?? open.first
    }

    private func runAll() throws {
        var input = StandardInputLines()
        for lesson in LessonCatalog.available {
            _ = try present(lesson, options: options, input: &input)
        }
        let gallery = try writeGallery()
        let numbers = LessonCatalog.available.map { String($0.number) }.joined(separator: ", ")
        writeOut("\n" + wrap(localized("Done: ran every written lesson (\(numbers)). Every figure is under \(options.outputDirectory)/; open \(gallery) to see them all on one page."),
                              width: TerminalStyle.currentWidth()) + "\n")
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
            sections += "<section><h2>\(lesson.number). \(escape(lesson.title))</h2>\n"
            for page in pages {
                let link = "\(lesson.directoryName)/\(page)"
                sections += "<p class=\"interactive\"><a href=\"\(link)\">" + escape(localized("Interactive attention: \(page)")) + "</a> "
                    + escape(localized("(head, model and neuron views; works offline)")) + "</p>\n"
            }
            for image in images {
                let source = "\(lesson.directoryName)/\(image)"
                // The caption is the figure's own title, which render() stores in the PNG.
                let bytes = manager.contents(atPath: (folder as NSString).appendingPathComponent(image)).map { [UInt8]($0) }
                let title = escape(bytes.flatMap(pngTitle) ?? image)
                sections += "<figure><a href=\"\(source)\" target=\"_blank\" title=\"" + escape(localized("open full size")) + "\">"
                    + "<img src=\"\(source)\" alt=\"\(title)\" loading=\"lazy\"></a>"
                    + "<figcaption>\(title)<br><span class=\"file\">\(escape(image))</span></figcaption></figure>\n"
            }
            sections += "</section>\n"
        }
        let pageTitle = escape(localized("TransformerExplorer figures"))
        let introduction = escape(localized("Grouped by lesson; click a figure to open it at full size."))
        let html = """
            <!doctype html>
            <html lang="\(Language.current.code)">
            <meta charset="utf-8">
            <title>\(pageTitle)</title>
            <style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}
            section{border-top:1px solid #ddd;padding-top:.5em}
            figure{display:inline-block;margin:0 1em 1.5em 0;vertical-align:top;max-width:560px}
            img{max-width:560px;max-height:420px;border:1px solid #ddd;cursor:zoom-in}
            figcaption{font-size:small;color:#333}.file{color:#888}</style>
            <h1>\(pageTitle)</h1>
            <p>\(introduction)</p>
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
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
