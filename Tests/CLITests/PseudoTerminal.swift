#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The built `tx` in a pseudo-terminal: the program runs with the pty's slave side as its
/// standard input, output and error, exactly as in a terminal window; the test types keys into
/// the master side and reads everything the program drew. One helper for every interactive
/// command: the lesson pager (`tx lesson`, screens separated by clear-screen) and the
/// full-screen explorer (`tx explore`).
final class PseudoTerminal {
    let master: Int32
    let slave: Int32
    let process = Process()
    private(set) var output: [UInt8] = []
    /// The slave's settings before the program started (cooked mode, echo).
    let original: termios

    /// The window is `width` × `height`; COLUMNS and LINES are removed from the child's
    /// environment so that it reads the size from the terminal, as it would in a real window.
    init(_ arguments: [String], in directory: URL, width: Int = 80, height: Int = 24,
         environment: [String: String] = ["NO_COLOR": "1"]) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw POSIXError(.ENXIO) }
        self.master = master
        self.slave = slave
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        var settings = termios()
        tcgetattr(slave, &settings)
        original = settings
        process.executableURL = try TX.binary()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env["TX_LANG"] = "en"   // the English text the tests read, whatever the locale
        for key in ["NO_COLOR", "COLUMNS", "LINES"] { env.removeValue(forKey: key) }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        close(master)
        close(slave)
    }

    var text: String { String(decoding: output, as: UTF8.self) }

    /// Reads what the program writes until `condition` holds for all of it, or `timeout` passes.
    @discardableResult
    func read(until condition: (String) -> Bool, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            drain()
            if condition(text) { return true }
            if !process.isRunning { drain(); return condition(text) }
            usleep(20_000)
        }
        return condition(text)
    }

    func send(_ keys: String) {
        let bytes = Array(keys.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Waits for the program to end, reading its output meanwhile (a full pty would block it).
    func waitForExit(timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            drain()
            usleep(20_000)
        }
        drain()
        return !process.isRunning
    }

    func resize(width: Int, height: Int) {
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        kill(process.processIdentifier, SIGWINCH)   // the child's controlling terminal is not this pty
    }

    /// The slave's settings now.
    var settings: termios {
        var now = termios()
        tcgetattr(slave, &now)
        return now
    }

    // MARK: Screens of the lesson pager

    static let clearScreen = "\u{1B}[2J\u{1B}[H"

    /// How many screens have been drawn so far (each starts by clearing the screen).
    var screenCount: Int { text.components(separatedBy: Self.clearScreen).count - 1 }

    /// What is on the screen now: everything after the last clear-screen sequence.
    /// (The terminal turns "\n" into "\r\n"; the "\r" are dropped.)
    var screen: String {
        (text.components(separatedBy: Self.clearScreen).last ?? "").replacingOccurrences(of: "\r", with: "")
    }

    /// Waits for one more whole screen than `before` (cleared, drawn, ending in its prompt).
    @discardableResult
    func waitForNextScreen(after before: Int, timeout: Double = 120) -> Bool {
        read(until: { text in
            let screens = text.components(separatedBy: Self.clearScreen)
            return screens.count - 1 > before && (screens.last ?? "").contains("q quit]")
        }, timeout: timeout)
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(master, &buffer, buffer.count)
            guard count > 0 else { return }
            output += buffer.prefix(count)
        }
    }
}
