#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Transformer

/// One self-contained HTML page that shows an attention trace interactively, in the spirit of
/// BertViz (Vig 2019) but with no Python, no CDN and no network at all:
///
/// - **head view**: the tokens in two columns and a line from each query to each key, one colour
///   per head, its opacity the weight; hover a token to keep only its lines, click a head's
///   swatch to hide or show it, pick the layer (and the kind of attention) from a menu;
/// - **model view**: every layer × head as a thumbnail heatmap; click one to see it large;
/// - **neuron view** (when the trace holds queries and keys, `--with-qk`): for one query and one
///   key, the query vector, the key vector, their element-wise product, the score (the sum,
///   times 1/√d_h) and the weight after the softmax over every key.
///
/// The trace is embedded as JSON inside the page; the script and style are inline, and a
/// Content-Security-Policy forbids every fetch, so opening the file sends no request anywhere.
/// `#model` or `#neuron` at the end of the address opens that view first.
public enum AttentionPage {
    /// The page for `trace`, titled `title`.
    public static func html(trace: AttentionTrace, title: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(trace), as: UTF8.self)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <title>\(escapeHTML(title))</title>
            <style>
            \(AttentionPageAssets.css)
            </style>
            </head>
            <body>
            <header>
            <h1>\(escapeHTML(title))</h1>
            <p id="summary"></p>
            <nav id="tabs">
            <button data-view="head" class="tab">Head view</button>
            <button data-view="model" class="tab">Model view</button>
            <button data-view="neuron" class="tab">Neuron view</button>
            </nav>
            </header>
            <main>
            <section id="head-view" class="view"></section>
            <section id="model-view" class="view"></section>
            <section id="neuron-view" class="view"></section>
            </main>
            <script type="application/json" id="trace-data">\(escapeForScript(json))</script>
            <script>
            \(AttentionPageAssets.script)
            </script>
            </body>
            </html>

            """
    }

    /// Text for an HTML element or attribute.
    static func escapeHTML(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters would be invisible or break the layout: show their code.
                if scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// JSON that can sit inside <script>: no "</script>", no "<!--", and no line separators
    /// that older parsers read as line ends. JSON allows \u escapes for all of them.
    static func escapeForScript(_ json: String) -> String {
        var out = ""
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
