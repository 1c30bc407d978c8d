import Tokenizers
import Foundation

/// Why an input file could not be read. Every case names the path and says what to do about it.
public enum FileReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// open(2) failed: no such file, permission denied, …
    case cannotOpen(path: String, reason: String)
    /// Not a regular file after following symlinks: a FIFO, a device, a socket or a folder.
    case notRegularFile(path: String, kind: String)
    /// Larger than what this kind of file can sensibly be.
    case tooLarge(path: String, byteCount: Int, limit: Int, what: String)
    /// The file had fewer bytes than fstat said when it was opened: it shrank while being read.
    case shrank(path: String, expected: Int, got: Int)
    /// read(2) failed part way.
    case readFailed(path: String, reason: String)
    /// The bytes are not UTF-8 where text was expected.
    case notUTF8(path: String)

    /// A one-line message naming the file and the problem.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            "\(messageText(path, limit: 200)): cannot be opened: \(reason)"
        case let .notRegularFile(path, kind):
            "\(messageText(path, limit: 200)) is \(kind), not a regular file; give a file"
        case let .tooLarge(path, byteCount, limit, what):
            "\(messageText(path, limit: 200)) is \(byteCount) bytes, more than the \(limit) a \(what) may have"
        case let .shrank(path, expected, got):
            "\(messageText(path, limit: 200)) ended after \(got) of its \(expected) bytes: it changed while being read (replaced or truncated); try again once it is complete"
        case let .readFailed(path, reason):
            "\(messageText(path, limit: 200)): reading failed: \(reason)"
        case let .notUTF8(path):
            "\(messageText(path, limit: 200)) is not UTF-8 text"
        }
    }
}

extension FileReadError {
    /// The problem without the path, for messages that name the file themselves.
    public var reason: String {
        switch self {
        case let .cannotOpen(_, reason): "cannot be opened: \(reason)"
        case let .notRegularFile(_, kind): "is \(kind), not a regular file; give a file"
        case let .tooLarge(_, byteCount, limit, what): "is \(byteCount) bytes, more than the \(limit) a \(what) may have"
        case let .shrank(_, expected, got):
            "ended after \(got) of its \(expected) bytes: it changed while being read (replaced or truncated); try again once it is complete"
        case let .readFailed(_, reason): "reading failed: \(reason)"
        case .notUTF8: "is not UTF-8 text"
        }
    }
}

extension FileReadError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}

/// Reads input files whole, with `pread`, after checking they are regular files.
///
/// Why not memory-map: a mapped file that another process truncates turns the next touch of a
/// vanished page into SIGBUS, which kills the process with no message. `pread` instead returns
/// fewer bytes than asked, which becomes a `FileReadError.shrank`. The weights are copied into
/// the model at load anyway, so reading them costs no more memory than the mapping's resident
/// pages did, and a 100 MB file reads from the page cache in well under a tenth of a second.
///
/// Why only regular files: a FIFO named vocab.txt would block the read forever, a device such as
/// /dev/zero never ends. The file is opened with O_NONBLOCK (opening a FIFO then returns at once
/// instead of waiting for a writer) and its type checked on the open descriptor with fstat, so
/// there is no window between the check and the read.
public enum RegularFileReader {
    /// The default cap for files with no natural size: the machine's memory.
    public static var memoryLimit: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The whole file at `path` (symlinks followed), at most `limit` bytes, read in chunks of
    /// `chunkSize`. `afterChunk` is a test hook, called with the bytes read so far after each
    /// chunk (a test truncates the file there to simulate a writer racing the load).
    public static func read(_ path: String, limit: Int, what: String = "file", chunkSize: Int = 1 << 24,
                            afterChunk: ((Int) -> Void)? = nil) throws(FileReadError) -> Data {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else { throw .notRegularFile(path: path, kind: kindName(type)) }
        let size = Int(status.st_size)
        guard size <= limit else { throw .tooLarge(path: path, byteCount: size, limit: limit, what: what) }

        var data = Data(count: size)
        var offset = 0
        var failure: FileReadError?
        data.withUnsafeMutableBytes { buffer in
            while offset < size {
                let want = min(chunkSize, size - offset)
                let n = pread(fd, buffer.baseAddress! + offset, want, off_t(offset))
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    failure = .readFailed(path: path, reason: String(cString: strerror(errno)))
                    return
                }
                if n == 0 {
                    failure = .shrank(path: path, expected: size, got: offset)
                    return
                }
                offset += n
                afterChunk?(offset)
            }
        }
        if let failure { throw failure }
        return data
    }

    /// A small text file (a config.json, a vocab.txt) as UTF-8, at most `limit` bytes.
    public static func readText(_ path: String, limit: Int, what: String) throws(FileReadError) -> String {
        let data = try read(path, limit: limit, what: what)
        guard let text = String(validating: data, as: UTF8.self) else { throw .notUTF8(path: path) }
        return text
    }

    /// Throws `notRegularFile` (or `cannotOpen`) unless `path` names a regular file after
    /// following symlinks. For checks before any work; the read checks again on its descriptor.
    public static func checkRegularFile(_ path: String) throws(FileReadError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else { throw .notRegularFile(path: path, kind: kindName(type)) }
    }

    /// What `path` is when it exists but is not a regular file (symlinks followed), else nil.
    public static func nonRegularKind(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let type = status.st_mode & S_IFMT
        return type == S_IFREG ? nil : kindName(type)
    }

    static func kindName(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a folder"
        case S_IFLNK: "a symbolic link"
        default: "not a file (mode \(String(type, radix: 8)))"
        }
    }
}
