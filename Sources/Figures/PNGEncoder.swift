import CCairo

// A PNG encoder made for figures. Cairo's own writer (libpng, zlib level 6, adaptive filters) spent
// over 80% of a figure's render time compressing: a 3568×1916 model view is 20 MB of scanlines.
// Figures are mostly flat colour: runs of one pixel along a row and rows repeated from the row above.
// So the deflate stream here looks for exactly two matches at every byte, "same as the pixel to the
// left" (distance 3) and "same as the row above" (distance = one scanline), and codes the rest as
// literals, with Huffman codes built per block from the counts. That is about a nanosecond a byte,
// and the files stay within about 2× of libpng's. Deterministic: same pixels, same bytes.
//
// zlib (system library) is used only for the CRC-32 of chunks (and by the tests, to inflate).

enum PNGEncoder {
    /// PNG file contents for a Cairo RGB24 image surface (alpha ignored, as Cairo's writer does for RGB24).
    /// Returns nil for other surface formats, which callers encode through Cairo instead.
    /// `pixelsPerInch`: written as a pHYs chunk so slide programs place the image at its intended size.
    static func encode(rgb24Surface surface: OpaquePointer, pixelsPerInch: Double? = nil,
                       title: String? = nil) -> [UInt8]? {
        cairo_surface_flush(surface)
        guard cairo_image_surface_get_format(surface) == CAIRO_FORMAT_RGB24,
              let data = cairo_image_surface_get_data(surface) else { return nil }
        let width = Int(cairo_image_surface_get_width(surface))
        let height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let rowBytes = 1 + 3 * width
        // Every byte is written below, so the 20 MB buffer is not zero-filled first.
        let scanlines = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { out, initialized in
            let base = out.baseAddress!
            for y in 0..<height {
                // Filter type 0 (none) in the first byte; Cairo's RGB24 pixels are native-endian 0x00RRGGBB words.
                let source = UnsafeRawPointer(data + y * stride)
                var o = base + y * rowBytes
                o[0] = 0
                o += 1
                for x in 0..<width {
                    let p = source.loadUnaligned(fromByteOffset: 4 * x, as: UInt32.self)
                    o[0] = UInt8(truncatingIfNeeded: p >> 16)
                    o[1] = UInt8(truncatingIfNeeded: p >> 8)
                    o[2] = UInt8(truncatingIfNeeded: p)
                    o += 3
                }
            }
            initialized = rowBytes * height
        }
        return png(width: width, height: height, scanlines: scanlines, pixelsPerInch: pixelsPerInch, title: title)
    }

    /// PNG file contents for 8-bit RGB pixels, row after row (`rgb.count == 3 * width * height`).
    static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        precondition(width >= 1 && height >= 1 && rgb.count == 3 * width * height, "rgb must hold width × height pixels")
        let rowBytes = 1 + 3 * width
        var scanlines = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            scanlines.replaceSubrange((y * rowBytes + 1)..<((y + 1) * rowBytes),
                                      with: rgb[(y * 3 * width)..<((y + 1) * 3 * width)])
        }
        return png(width: width, height: height, scanlines: scanlines)
    }

    /// Signature, IHDR (8-bit RGB, no interlace), pHYs when a resolution is given, one IDAT, IEND.
    static func png(width: Int, height: Int, scanlines: [UInt8], pixelsPerInch: Double? = nil,
                    title: String? = nil) -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        appendBigEndian(UInt32(width), to: &header)
        appendBigEndian(UInt32(height), to: &header)
        header += [8, 2, 0, 0, 0]   // bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace
        appendChunk("IHDR", header, to: &file)
        if let pixelsPerInch, pixelsPerInch.isFinite, pixelsPerInch > 0 {
            // pHYs counts pixels per metre (unit 1), the same along x and y.
            let perMetre = UInt32((pixelsPerInch / 0.0254).rounded())
            var physical: [UInt8] = []
            appendBigEndian(perMetre, to: &physical)
            appendBigEndian(perMetre, to: &physical)
            physical.append(1)
            appendChunk("pHYs", physical, to: &file)
        }
        if let title, !title.isEmpty {
            // iTXt: keyword, NUL, no compression (0, 0), empty language tag and translated keyword, UTF-8 text.
            appendChunk("iTXt", Array("Title".utf8) + [0, 0, 0, 0, 0] + Array(title.utf8), to: &file)
        }
        appendChunk("IDAT", zlibStream(scanlines, rowBytes: 1 + 3 * width), to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    /// A zlib stream (RFC 1950) holding `data` deflated with the row/pixel matcher.
    static func zlibStream(_ data: [UInt8], rowBytes: Int) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]   // deflate, 32 KiB window, "fastest" level hint
        data.withUnsafeBufferPointer { buffer in
            out += DeflateEncoder(rowBytes: rowBytes).deflate(buffer)
            appendBigEndian(adler32(buffer), to: &out)
        }
        return out
    }

    /// Adler-32 (RFC 1950) of `data`. zlib's scalar version was a sixth of the encode time; this one
    /// sums blocks in a form the compiler vectorises. Over a block of n bytes b₀…bₙ₋₁ the per-byte
    /// recurrence (s1 += b; s2 += s1) adds Σb to s1 and n·s1 + Σ(n − i)·bᵢ to s2.
    static func adler32(_ data: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var s1: UInt64 = 1, s2: UInt64 = 0
        guard var p = data.baseAddress else { return 1 }
        var remaining = data.count
        while remaining > 0 {
            // Σ i·bᵢ stays below 2³² for blocks up to 5552 bytes.
            let n = min(remaining, 4096)
            var sum: UInt32 = 0, weighted: UInt32 = 0
            for i in 0..<n {
                let b = UInt32(p[i])
                sum &+= b
                weighted &+= UInt32(truncatingIfNeeded: i) &* b
            }
            s2 += UInt64(n) * s1 + UInt64(n) * UInt64(sum) - UInt64(weighted)
            s1 += UInt64(sum)
            s1 %= 65521
            s2 %= 65521
            p += n
            remaining -= n
        }
        return UInt32(s2 << 16 | s1)
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &file)
        let typeAndData = Array(type.utf8) + data
        file += typeAndData
        let crc = typeAndData.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        appendBigEndian(UInt32(crc), to: &file)
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
                  UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}

// MARK: - Deflate (RFC 1951)

/// Bits packed least significant first, as deflate wants them.
struct BitWriter {
    var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count: UInt64 = 0

    init() { bytes.reserveCapacity(1 << 16) }

    /// Appends the low `n` bits of `value` (n ≤ 32).
    @inline(__always)
    mutating func write(_ value: UInt32, _ n: Int) {
        buffer |= UInt64(value) << count
        count += UInt64(n)
        if count >= 32 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            bytes.append(UInt8(truncatingIfNeeded: buffer >> 8))
            bytes.append(UInt8(truncatingIfNeeded: buffer >> 16))
            bytes.append(UInt8(truncatingIfNeeded: buffer >> 24))
            buffer >>= 32
            count -= 32
        }
    }

    /// Pads to a byte boundary and flushes.
    mutating func finish() {
        while count > 0 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count = count >= 8 ? count - 8 : 0
        }
    }
}

/// Greedy LZ77 with two candidate distances (3 bytes back and one scanline back), Huffman-coded in
/// dynamic blocks of at most `blockTokens` symbols. The token and count buffers are raw memory so the
/// per-byte loop has no array bookkeeping.
final class DeflateEncoder {
    let rowBytes: Int
    /// Literal byte, or `matchFlag | (up ? upFlag : 0) | length`.
    private let tokens: UnsafeMutablePointer<UInt32>
    private var tokenCount = 0
    private let literalCounts: UnsafeMutablePointer<Int>
    private let distanceCounts: UnsafeMutablePointer<Int>
    private let leftCode: DistanceCode
    private let upCode: DistanceCode

    static let blockTokens = 1 << 16
    private static let matchFlag: UInt32 = 1 << 31
    private static let upFlag: UInt32 = 1 << 30
    static let maxDistance = 32768

    init(rowBytes: Int) {
        self.rowBytes = rowBytes
        leftCode = DistanceCode(3)
        upCode = DistanceCode(min(rowBytes, Self.maxDistance))
        tokens = .allocate(capacity: Self.blockTokens)
        literalCounts = .allocate(capacity: 286)
        literalCounts.initialize(repeating: 0, count: 286)
        distanceCounts = .allocate(capacity: 30)
        distanceCounts.initialize(repeating: 0, count: 30)
    }

    deinit {
        tokens.deallocate()
        literalCounts.deallocate()
        distanceCounts.deallocate()
    }

    /// The raw deflate stream (RFC 1951) for `data`.
    func deflate(_ data: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        // Locals, not properties, in the loops: class properties cost a dynamic exclusivity check per access.
        var bits = BitWriter()
        let n = data.count
        guard n > 0, let p = data.baseAddress else {
            emitBlock(final: true, &bits)
            bits.finish()
            return bits.bytes
        }
        // Rows longer than deflate's window cannot refer to the row above.
        let up = rowBytes <= Self.maxDistance ? rowBytes : 0
        let lengthSymbols = lengthCodes.symbol
        let upSymbol = upCode.symbol, leftSymbol = leftCode.symbol
        let tokens = self.tokens, literalCounts = self.literalCounts, distanceCounts = self.distanceCounts
        var tokenCount = 0
        lengthSymbols.withUnsafeBufferPointer { lengthSymbol in
            var i = 0
            while i < n {
                let maxLength = min(258, n - i)
                var length = 0
                var isUp = false
                if maxLength >= 3 {
                    if up > 0 && i >= up {
                        length = matchLength(p + i, p + i - up, maxLength)
                        isUp = true
                    }
                    if length < maxLength && i >= 3 {
                        let left = matchLength(p + i, p + i - 3, maxLength)
                        if left > length { length = left; isUp = false }
                    }
                }
                if length >= 3 {
                    tokens[tokenCount] = Self.matchFlag | (isUp ? Self.upFlag : 0) | UInt32(length)
                    literalCounts[Int(lengthSymbol[length])] += 1
                    distanceCounts[isUp ? upSymbol : leftSymbol] += 1
                    i += length
                } else {
                    tokens[tokenCount] = UInt32(p[i])
                    literalCounts[Int(p[i])] += 1
                    i += 1
                }
                tokenCount += 1
                if tokenCount == Self.blockTokens && i < n {
                    self.tokenCount = tokenCount
                    emitBlock(final: false, &bits)
                    tokenCount = 0
                }
            }
        }
        self.tokenCount = tokenCount
        emitBlock(final: true, &bits)
        bits.finish()
        return bits.bytes
    }

    /// How many bytes from `a` equal those from `b`, up to `limit` (`a` may overlap `b`).
    @inline(__always)
    private func matchLength(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ limit: Int) -> Int {
        var k = 0
        while k + 8 <= limit {
            let x = UnsafeRawPointer(a + k).loadUnaligned(as: UInt64.self)
                ^ UnsafeRawPointer(b + k).loadUnaligned(as: UInt64.self)
            // Little-endian: the lowest set bit is in the first differing byte.
            if x != 0 { return k + x.trailingZeroBitCount >> 3 }
            k += 8
        }
        while k < limit && a[k] == b[k] { k += 1 }
        return k
    }

    /// Writes the pending tokens as one block with dynamic Huffman codes (BTYPE 2).
    private func emitBlock(final: Bool, _ bits: inout BitWriter) {
        literalCounts[256] += 1   // end of block
        let literalLengths = huffmanCodeLengths(Array(UnsafeBufferPointer(start: literalCounts, count: 286)), limit: 15)
        let distanceLengths = huffmanCodeLengths(Array(UnsafeBufferPointer(start: distanceCounts, count: 30)), limit: 15)
        let literalCodes = canonicalCodes(literalLengths)
        let distanceCodes = canonicalCodes(distanceLengths)
        let hlit = max(257, (literalLengths.lastIndex { $0 > 0 } ?? 0) + 1)
        let hdist = max(1, (distanceLengths.lastIndex { $0 > 0 } ?? 0) + 1)

        // Code lengths, run-length coded with symbols 16 (repeat previous), 17 and 18 (runs of zeros).
        let allLengths = Array(literalLengths[0..<hlit]) + Array(distanceLengths[0..<hdist])
        var clSymbols: [(symbol: Int, extra: UInt32, extraBits: Int)] = []
        var k = 0
        while k < allLengths.count {
            let value = allLengths[k]
            var run = 1
            while k + run < allLengths.count && allLengths[k + run] == value { run += 1 }
            if value == 0 && run >= 3 {
                let r = min(run, 138)
                clSymbols.append(r >= 11 ? (18, UInt32(r - 11), 7) : (17, UInt32(r - 3), 3))
                k += r
            } else if value != 0 && run >= 4 {
                clSymbols.append((value, 0, 0))
                let r = min(run - 1, 6)
                clSymbols.append((16, UInt32(r - 3), 2))
                k += 1 + r
            } else {
                clSymbols.append((value, 0, 0))
                k += 1
            }
        }
        var clCounts = [Int](repeating: 0, count: 19)
        for s in clSymbols { clCounts[s.symbol] += 1 }
        let clLengths = huffmanCodeLengths(clCounts, limit: 7)
        let clCodes = canonicalCodes(clLengths)
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        let hclen = max(4, (order.lastIndex { clLengths[$0] > 0 } ?? 0) + 1)

        bits.write(final ? 1 : 0, 1)
        bits.write(2, 2)
        bits.write(UInt32(hlit - 257), 5)
        bits.write(UInt32(hdist - 1), 5)
        bits.write(UInt32(hclen - 4), 4)
        for i in 0..<hclen { bits.write(UInt32(clLengths[order[i]]), 3) }
        for s in clSymbols {
            bits.write(clCodes[s.symbol], clLengths[s.symbol])
            if s.extraBits > 0 { bits.write(s.extra, s.extraBits) }
        }

        // The symbols themselves: the hot loop of the block.
        let lengthTable = lengthCodes
        let left = leftCode, up = upCode
        let leftDistance = (code: distanceCodes[left.symbol], bits: distanceLengths[left.symbol])
        let upDistance = (code: distanceCodes[up.symbol], bits: distanceLengths[up.symbol])
        for token in UnsafeBufferPointer(start: tokens, count: tokenCount) {
            if token & Self.matchFlag == 0 {
                bits.write(literalCodes[Int(token)], literalLengths[Int(token)])
            } else {
                let length = Int(token & 0x1FF)
                let symbol = Int(lengthTable.symbol[length])
                bits.write(literalCodes[symbol], literalLengths[symbol])
                let extraBits = Int(lengthTable.extraBits[length])
                if extraBits > 0 { bits.write(UInt32(lengthTable.extra[length]), extraBits) }
                let isUp = token & Self.upFlag != 0
                let d = isUp ? up : left
                let dc = isUp ? upDistance : leftDistance
                bits.write(dc.code, dc.bits)
                if d.extraBits > 0 { bits.write(d.extra, d.extraBits) }
            }
        }
        bits.write(literalCodes[256], literalLengths[256])

        tokenCount = 0
        literalCounts.update(repeating: 0, count: 286)
        distanceCounts.update(repeating: 0, count: 30)
    }
}

/// Deflate's code for one distance: symbol 0…29 and its extra bits.
struct DistanceCode {
    var symbol: Int
    var extra: UInt32
    var extraBits: Int

    static let bases = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]

    init(_ distance: Int) {
        precondition(distance >= 1 && distance <= 32768)
        let s = Self.bases.lastIndex { $0 <= distance }!
        symbol = s
        extra = UInt32(distance - Self.bases[s])
        extraBits = s < 4 ? 0 : s / 2 - 1
    }
}

/// Deflate's length symbols (257…285) and extra bits for match lengths 3…258, indexed by length.
struct LengthCodes {
    var symbol = [UInt16](repeating: 0, count: 259)
    var extra = [UInt16](repeating: 0, count: 259)
    var extraBits = [UInt8](repeating: 0, count: 259)

    init() {
        let bases = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                     131, 163, 195, 227, 258]
        for length in 3...258 {
            let s = bases.lastIndex { $0 <= length }!
            symbol[length] = UInt16(257 + s)
            extra[length] = UInt16(length - bases[s])
            extraBits[length] = s == 28 ? 0 : UInt8(s < 8 ? 0 : s / 4 - 1)
        }
    }
}

let lengthCodes = LengthCodes()

/// Huffman code lengths for symbol `counts`, none longer than `limit`. At least two symbols get a code
/// (inflaters want a complete code). Too-deep trees are fixed by halving the counts and trying again.
func huffmanCodeLengths(_ counts: [Int], limit: Int) -> [Int] {
    var weights = counts
    var used = weights.filter { $0 > 0 }.count
    var k = 0
    while used < 2 {
        if weights[k] == 0 { weights[k] = 1; used += 1 }
        k += 1
    }
    while true {
        let lengths = plainHuffmanLengths(weights)
        if lengths.max()! <= limit { return lengths }
        for i in weights.indices where weights[i] > 0 { weights[i] = (weights[i] + 1) / 2 }
    }
}

/// Code lengths of an optimal Huffman code (two-queue construction over the sorted counts; ties go
/// by symbol, so the result is deterministic).
private func plainHuffmanLengths(_ weights: [Int]) -> [Int] {
    let symbols = weights.indices.filter { weights[$0] > 0 }.sorted { (weights[$0], $0) < (weights[$1], $1) }
    let n = symbols.count
    var weight = symbols.map { weights[$0] }   // leaves 0..<n, then internal nodes in creation order
    var parent = [Int](repeating: 0, count: 2 * n - 1)
    var leaf = 0, node = n
    func smallest() -> Int {
        if leaf < n && (node >= weight.count || weight[leaf] <= weight[node]) {
            leaf += 1
            return leaf - 1
        }
        node += 1
        return node - 1
    }
    while weight.count < 2 * n - 1 {
        let a = smallest(), b = smallest()
        parent[a] = weight.count
        parent[b] = weight.count
        weight.append(weight[a] + weight[b])
    }
    // Parents come after their children, so one backward pass gives every depth.
    var depth = [Int](repeating: 0, count: 2 * n - 1)
    for i in stride(from: 2 * n - 3, through: 0, by: -1) { depth[i] = depth[parent[i]] + 1 }
    var lengths = [Int](repeating: 0, count: weights.count)
    for (i, s) in symbols.enumerated() { lengths[s] = depth[i] }
    return lengths
}

/// Canonical Huffman codes (RFC 1951 §3.2.2) for `lengths`, bit-reversed for LSB-first output.
func canonicalCodes(_ lengths: [Int]) -> [UInt32] {
    var lengthCounts = [Int](repeating: 0, count: 16)
    for l in lengths where l > 0 { lengthCounts[l] += 1 }
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for bitCount in 1...15 {
        code = (code + lengthCounts[bitCount - 1]) << 1
        next[bitCount] = code
    }
    var codes = [UInt32](repeating: 0, count: lengths.count)
    for (s, l) in lengths.enumerated() where l > 0 {
        var c = next[l], reversed = 0
        next[l] += 1
        for _ in 0..<l {
            reversed = reversed << 1 | c & 1
            c >>= 1
        }
        codes[s] = UInt32(reversed)
    }
    return codes
}

/// The "Title" a PNG file carries in an iTXt chunk (as `render` writes it), or nil. Reads chunk
/// headers only up to the image data; a malformed file gives nil.
public func pngTitle(_ bytes: [UInt8]) -> String? {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { return nil }
    var offset = 8
    while offset + 8 <= bytes.count {
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
        let start = offset + 8
        guard length >= 0, start + length <= bytes.count else { return nil }
        if type == "IDAT" || type == "IEND" { return nil }
        if type == "iTXt" {
            let data = Array(bytes[start..<start + length])
            let keyword = Array("Title".utf8) + [0]
            // keyword, NUL, compression flag and method, language tag NUL, translated keyword NUL, text.
            if data.starts(with: keyword), data.count >= keyword.count + 2, data[keyword.count] == 0 {
                var i = keyword.count + 2
                for _ in 0..<2 {
                    guard let nul = data[i...].firstIndex(of: 0) else { return nil }
                    i = nul + 1
                }
                return String(decoding: data[i...], as: UTF8.self)
            }
        }
        offset = start + length + 4   // data and CRC
    }
    return nil
}
