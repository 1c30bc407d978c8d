import Figures
import Foundation
import Testing

/// `error.localizedDescription` is the precise message `tx` prints after "Error: ".
@Suite("Figures errors print their message")
struct FiguresLocalizedErrorTests {
    @Test func figureError() {
        let error: any Error = FigureError.unsupportedFormat(path: "Output/a.bmp")
        #expect(error.localizedDescription == "cannot write figure Output/a.bmp: extension .bmp is not supported; use .png, .svg or .pdf")
        #expect(error.localizedDescription == "\(error)")
    }

    @Test func outputError() {
        let error: any Error = OutputError.writeFailed(path: "Output/a.png", operation: "renaming", code: ENOSPC)
        #expect(error.localizedDescription.hasPrefix("cannot write Output/a.png: "))
        #expect(error.localizedDescription.hasSuffix(" (while renaming)"))
        #expect(error.localizedDescription == "\(error)")
    }
}
