import Foundation

/// Why an output could not be written, with the operating system's own reason.
public enum OutputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creating, writing, flushing or renaming failed; `code` is the errno.
    case writeFailed(path: String, operation: String, code: Int32)
    /// The destination exists and is not a regular file (a FIFO, a device, a folder): it is
    /// refused rather than replaced.
    case notRegularFile(path: String, kind: String)

    /// A one-line message naming the path and the reason.
    public var description: String {
        switch self {
        case let .writeFailed(path, operation, code):
            "cannot write \(path): \(Self.reason(code)) (while \(operation))"
        case let .notRegularFile(path, kind):
            "cannot write \(path): it is \(kind), not a regular file; choose a file name"
        }
    }

    /// errno in words, with the two a user meets most spelled out plainly.
    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOSPC: "no space left on the device"
        case EDQUOT: "the disk quota is used up"
        case EACCES, EPERM: "permission denied"
        case EROFS: "the file system is read-only"
        case EISDIR: "a folder is in the way"
        case ENAMETOOLONG: "the file name is too long"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}

extension OutputError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}

/// Every output file of one run, written all or nothing.
///
/// `stage` writes each file in full to a temporary file beside its destination (so a full disk
/// or a folder in the way fails right there, before anything is published) and registers it
/// with `InterruptCleanup` (so any terminating signal removes it). `publish` renames them all
/// into place at the end. If the run fails before that, `discard` (or deinit) removes the
/// temporary files and no destination is touched; if a rename fails part way, the files this
/// run already published are removed too, so a run leaves all its outputs or none of them.
package final class StagedOutputs {
    private struct Staged {
        let temporary: String
        let destination: String
    }

    private var staged: [Staged] = []
    private var finished = false

    package init() {}

    deinit { discard() }

    /// The destinations staged so far, in order.
    package var destinations: [String] { staged.map(\.destination) }

    /// Renders `chart` (format from the extension) and stages it for `path`.
    package func stage(_ chart: any Chart, to path: String, scale: Double = 2) throws {
        let format = try FigureFormat(path: path)
        _ = try checkWritableDirectory(for: path)
        try checkDestinationIsRegular(path)
        try stage(try renderData(chart, format: format, scale: scale), to: path)
    }

    /// Stages `bytes` for `path`: written to a temporary file beside it now, published later.
    package func stage(_ bytes: [UInt8], to path: String) throws {
        precondition(!finished, "StagedOutputs used after publish or discard")
        let directory = try checkWritableDirectory(for: path)
        try checkDestinationIsRegular(path)
        // Staging the same destination twice keeps the later bytes only.
        if let earlier = staged.firstIndex(where: { $0.destination == path }) {
            unlink(staged[earlier].temporary)
            InterruptCleanup.unregister(staged[earlier].temporary)
            staged.remove(at: earlier)
        }
        let temporary = (directory as NSString).appendingPathComponent(Self.temporaryName(for: path))
        // Registered before it exists, so an interruption at any moment removes it.
        InterruptCleanup.register(temporary)
        do {
            try Self.writeFile(bytes, to: temporary, shownAs: path)
        } catch {
            unlink(temporary)
            InterruptCleanup.unregister(temporary)
            throw error
        }
        staged.append(Staged(temporary: temporary, destination: path))
    }

    /// Renames every staged file into place. On a failed rename, removes what this run already
    /// published and every temporary file, and throws the cause.
    package func publish() throws {
        precondition(!finished, "StagedOutputs published twice")
        InterruptCleanup.pauseBeforeRenameIfTesting()
        var published: [String] = []
        for (position, item) in staged.enumerated() {
            if rename(item.temporary, item.destination) != 0 {
                let code = errno
                for path in published { unlink(path) }
                for later in staged[position...] { unlink(later.temporary) }
                cleanUp()
                throw OutputError.writeFailed(path: item.destination, operation: "moving it into place", code: code)
            }
            InterruptCleanup.unregister(item.temporary)
            published.append(item.destination)
        }
        cleanUp()
    }

    /// Removes every staged temporary file; nothing is published.
    package func discard() {
        guard !finished else { return }
        for item in staged { unlink(item.temporary) }
        cleanUp()
    }

    private func cleanUp() {
        for item in staged { InterruptCleanup.unregister(item.temporary) }
        staged = []
        finished = true
    }

    /// Refuses a destination that exists and is not a regular file (symlinks followed): a FIFO
    /// or a device node would be replaced by the rename, which is never what `--out` meant.
    func checkDestinationIsRegular(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { return }   // nothing there yet: fine
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else {
            let kind = switch type {
            case S_IFIFO: "a FIFO (named pipe)"
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFSOCK: "a socket"
            case S_IFDIR: "a folder"
            default: "a special file"
            }
            throw OutputError.notRegularFile(path: path, kind: kind)
        }
    }

    /// ".NAME.tmp-PID-RANDOM", with NAME shortened so the whole stays within the 255 bytes a
    /// file name may have on Linux and macOS (a destination name of 250 bytes is legal).
    static func temporaryName(for path: String) -> String {
        let suffix = ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var base = Substring((path as NSString).lastPathComponent)
        let room = 255 - 1 - suffix.utf8.count
        while base.utf8.count > room { base = base.dropLast() }
        return "." + base + suffix
    }

    /// For the tests of what a failed write leaves: with TX_TEST_FAIL_WRITE=N in the
    /// environment, the Nth file written by this process fails as a full disk would (ENOSPC).
    /// Unset, this does nothing.
    /// nonisolated(unsafe) is safe: read and written only under `writesLock` (tests running in
    /// parallel write figures from several threads of one process).
    nonisolated(unsafe) private static var writesSoFar = 0
    private static let writesLock = NSLock()

    private static func injectedFailure() -> Int32? {
        let written = writesLock.withLock {
            writesSoFar += 1
            return writesSoFar
        }
        guard let value = ProcessInfo.processInfo.environment["TX_TEST_FAIL_WRITE"], let n = Int(value) else { return nil }
        return written == n ? ENOSPC : nil
    }

    /// Creates `temporary` (exclusively), writes all of `bytes`, flushes them to disk.
    static func writeFile(_ bytes: [UInt8], to temporary: String, shownAs path: String) throws {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputError.writeFailed(path: path, operation: "creating a temporary file", code: errno) }
        var failure: Int32? = injectedFailure()
        if failure == nil {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    offset += n
                }
            }
        }
        let operation = failure == nil ? "flushing it to disk" : "writing it"
        if failure == nil && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == nil { failure = errno }
        if let failure { throw OutputError.writeFailed(path: path, operation: operation, code: failure) }
    }
}

/// Writes one file atomically (a temporary file, then a rename), with the errors of
/// `StagedOutputs`: for commands that write a single output.
func writeOneFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let outputs = StagedOutputs()
    try outputs.stage(bytes, to: path)
    try outputs.publish()
}

/// Checks, before any work, that a file of any kind can be written to `path`: its folder exists
/// and is writable, and `path` is either new or a regular file (not a FIFO or a device).
package func checkOutputDestination(_ path: String) throws {
    _ = try checkWritableDirectory(for: path)
    try StagedOutputs().checkDestinationIsRegular(path)
}
