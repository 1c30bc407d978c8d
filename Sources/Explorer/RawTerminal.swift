#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif
import Foundation

/// The terminal as a full-screen program needs it: the alternate screen (so the shell's text
/// comes back untouched), raw keys (each key at once, no echo, Ctrl-C as a byte), a hidden
/// cursor; and the way back to exactly the settings it found.
///
/// `restore()` is safe to call more than once and from another thread (the clean-up thread of
/// SIGTERM): drawing and restoring take the same lock, so the restore never lands in the middle
/// of an escape sequence, and nothing is drawn after it.
package final class RawTerminal: @unchecked Sendable {
    // @unchecked Sendable: every mutable property is read and written only under `lock`, except
    // `saved`, which is written once in `init` before the value is shared.
    package enum Event: Equatable, Sendable {
        case bytes([UInt8])
        /// The window changed size (SIGWINCH).
        case resize
        /// The input was closed.
        case end
    }

    package enum Failure: Error, CustomStringConvertible {
        case notATerminal
        case cannotSetMode(String)

        package var description: String {
            switch self {
            case .notATerminal:
                "tx explore is interactive: its standard input and output must be a terminal"
            case let .cannotSetMode(reason):
                "cannot put the terminal into raw mode: \(reason)"
            }
        }
    }

    private let input: Int32
    private let output: Int32
    private var saved = termios()
    private let lock = NSLock()
    private var active = false

    /// The SIGWINCH pipe; the handler only writes a byte to its write end. nonisolated(unsafe) is
    /// safe: it is set once, by the first `enter` (under `lock`, before the handler is installed),
    /// and only read afterwards; a process has one terminal, so one `RawTerminal` enters at a time.
    nonisolated(unsafe) private static var resizePipe: [Int32] = [-1, -1]

    package init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) throws {
        guard isatty(input) == 1, isatty(output) == 1 else { throw Failure.notATerminal }
        self.input = input
        self.output = output
        guard tcgetattr(input, &saved) == 0 else { throw Failure.cannotSetMode(String(cString: strerror(errno))) }
    }

    /// Switches to the alternate screen with raw keys and a hidden cursor.
    package func enter() throws {
        lock.lock()
        defer { lock.unlock() }
        guard !active else { return }
        var raw = saved
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(input, TCSAFLUSH, &raw) == 0 else {
            throw Failure.cannotSetMode(String(cString: strerror(errno)))
        }
        if Self.resizePipe[0] < 0 {
            var fds: [Int32] = [-1, -1]
            if pipe(&fds) == 0 {
                _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
                Self.resizePipe = fds
            }
        }
        var action = sigaction()
        let handler: @convention(c) (Int32) -> Void = { _ in
            var byte: UInt8 = 1
            _ = write(RawTerminal.resizePipe[1], &byte, 1)
        }
        // The handler's field is named differently by glibc and by Darwin.
        #if canImport(Darwin)
        action.__sigaction_u.__sa_handler = handler
        #else
        action.__sigaction_handler.sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGWINCH, &action, nil)
        // A parent may have started us with SIGWINCH blocked (the signal mask is inherited).
        var resize = sigset_t()
        sigemptyset(&resize)
        sigaddset(&resize, SIGWINCH)
        pthread_sigmask(SIG_UNBLOCK, &resize, nil)
        active = true
        writeAll("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
    }

    /// Leaves the alternate screen, shows the cursor and puts back the settings found at start.
    package func restore() {
        lock.lock()
        defer { lock.unlock() }
        guard active else { return }
        active = false
        signal(SIGWINCH, SIG_DFL)
        writeAll("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(input, TCSANOW, &saved)
    }

    /// Draws one frame (nothing once restored).
    package func draw(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard active else { return }
        writeAll(text)
    }

    /// The window's size in columns and rows (80×24 when the terminal does not say).
    package func size() -> (width: Int, height: Int) {
        var size = winsize()
        guard ioctl(output, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Waits for keys or a resize.
    package func nextEvent() -> Event {
        while true {
            var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: Self.resizePipe[0], events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds[1].fd >= 0 ? 2 : 1), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return .end
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                _ = read(Self.resizePipe[0], &drain, drain.count)
                return .resize
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                var buffer = [UInt8](repeating: 0, count: 256)
                let count = read(input, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return .end }
                return .bytes(Array(buffer.prefix(count)))
            }
        }
    }

    private func writeAll(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

extension RawTerminal.Failure: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    package var errorDescription: String? { description }
}
