/// A key the explorer understands, decoded from the bytes a terminal in raw mode sends.
public enum ExplorerKey: Equatable, Sendable {
    case left, right, up, down
    case tab, backTab
    case enter, escape
    /// Ctrl-C: in raw mode it arrives as a byte, not as a signal.
    case interrupt
    case character(Character)
}

/// Turns raw terminal bytes into keys. Arrow keys come as "ESC [ A" (or "ESC O A" in the
/// terminal's application mode); a lone ESC is the Escape key. Bytes of unknown sequences
/// and of non-ASCII characters are dropped: no key of the explorer needs them.
public struct KeyDecoder: Sendable {
    /// A decoder; it keeps no state, so an escape sequence must arrive in one read.
    public init() {}

    /// The keys in `bytes`, in order (unknown sequences and non-ASCII bytes dropped).
    public func keys(_ bytes: [UInt8]) -> [ExplorerKey] {
        var keys: [ExplorerKey] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x1B:
                guard index < bytes.count else { keys.append(.escape); break }
                let introducer = bytes[index]
                guard introducer == UInt8(ascii: "[") || introducer == UInt8(ascii: "O") else {
                    keys.append(.escape)   // ESC followed by an ordinary key: Escape, then that key
                    break
                }
                index += 1
                // A CSI sequence: parameters and intermediates (0x20…0x3F), then one final byte.
                var final: UInt8 = 0
                while index < bytes.count {
                    let b = bytes[index]
                    index += 1
                    if (0x40...0x7E).contains(b) { final = b; break }
                }
                switch final {
                case UInt8(ascii: "A"): keys.append(.up)
                case UInt8(ascii: "B"): keys.append(.down)
                case UInt8(ascii: "C"): keys.append(.right)
                case UInt8(ascii: "D"): keys.append(.left)
                case UInt8(ascii: "Z"): keys.append(.backTab)
                default: break
                }
            case 0x03: keys.append(.interrupt)
            case 0x09: keys.append(.tab)
            case 0x0A, 0x0D: keys.append(.enter)
            case 0x20...0x7E: keys.append(.character(Character(Unicode.Scalar(byte))))
            default: break
            }
        }
        return keys
    }
}
