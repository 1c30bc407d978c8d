// Shared by every module that quotes text from a file in an error message (Tokenizers itself
// for vocabularies and merges, ModelIO for tensor names and metadata keys).

/// `text` as it may appear inside a one-line error message: control characters, line breaks
/// and backslashes escaped, and anything past `limit` characters replaced by "…". Names and
/// keys in model files are hostile input too; a 10 MB tensor name or one holding "\n" must not
/// make a 10 MB or multi-line message.
package func messageText(_ text: String, limit: Int = 80) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit { return out + "…" }
        count += 1
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\\": out += "\\\\"
        case _ where scalar.properties.generalCategory == .control
            || scalar.properties.generalCategory == .lineSeparator
            || scalar.properties.generalCategory == .paragraphSeparator:
            out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
