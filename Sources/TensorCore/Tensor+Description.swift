extension Tensor: CustomStringConvertible {
    /// The shape, then the scalars nested like array literals, e.g.
    ///
    ///     Tensor [2, 3]
    ///     [[1.0, 2.0, 3.0],
    ///      [4.0, 5.0, 6.0]]
    ///
    /// Like NumPy, a tensor with more than `summaryThreshold` scalars shows only the first and
    /// last `edgeItems` entries along each axis, with "..." for the rest, so printing a big
    /// weight matrix does not flood the terminal.
    public var description: String {
        let summarize = count > Tensor.summaryThreshold
        // Format every shown scalar once to find the widest, so all columns line up.
        var shown: [String] = []
        collectShown(axis: 0, offset: 0, summarize: summarize, into: &shown)
        let width = shown.map(\.count).max() ?? 0
        let body = render(axis: 0, offset: 0, summarize: summarize, width: width)
        return "Tensor \(shape)\n" + body
    }

    static let summaryThreshold = 1000
    static let edgeItems = 3

    /// Which indices along an axis of length `length` are printed; `nil` marks the "..." gap.
    private static func shownIndices(length: Int, summarize: Bool) -> [Int?] {
        if !summarize || length <= 2 * edgeItems {
            return Array(0..<length)
        }
        return Array(0..<edgeItems) + [nil] + Array((length - edgeItems)..<length)
    }

    /// The number of scalars in one step along `axis` (the product of the later axes).
    private func stride(of axis: Int) -> Int {
        shape[(axis + 1)...].reduce(1, *)
    }

    private func collectShown(axis: Int, offset: Int, summarize: Bool, into shown: inout [String]) {
        if axis == rank {
            shown.append("\(scalars[offset])")
            return
        }
        for index in Tensor.shownIndices(length: shape[axis], summarize: summarize) {
            guard let index else { continue }
            collectShown(axis: axis + 1, offset: offset + index * stride(of: axis),
                         summarize: summarize, into: &shown)
        }
    }

    private func render(axis: Int, offset: Int, summarize: Bool, width: Int) -> String {
        if axis == rank {
            let text = "\(scalars[offset])"
            return String(repeating: " ", count: width - text.count) + text
        }
        let parts = Tensor.shownIndices(length: shape[axis], summarize: summarize).map { index -> String in
            guard let index else { return "..." }
            return render(axis: axis + 1, offset: offset + index * stride(of: axis),
                          summarize: summarize, width: width)
        }
        if axis == rank - 1 {
            return "[" + parts.joined(separator: ", ") + "]"
        }
        // Inner blocks start on a new line, indented past this level's "[", with a blank
        // line between blocks of rank 3 and up, as NumPy does.
        let indent = String(repeating: " ", count: axis + 1)
        let separator = "," + String(repeating: "\n", count: rank - axis - 1) + indent
        return "[" + parts.joined(separator: separator) + "]"
    }
}
