#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TensorCore

/// The bytes of a safetensors file holding `tensors` as F32.
///
/// Deterministic: tensors are stored sorted by name (data in the same order), metadata keys
/// sorted, the JSON written without optional spaces, so the same tensors always give the same
/// bytes. The header is padded with spaces to a multiple of 8 bytes, so the data starts
/// 8-byte aligned. Throws for an empty name, the reserved name `__metadata__`, or a name given twice.
public func safeTensorsData(_ tensors: [(name: String, tensor: Tensor)],
                            metadata: [String: String] = [:]) throws(SafeTensorsError) -> [UInt8] {
    var seen = Set<String>()
    for (name, _) in tensors {
        guard !name.isEmpty, name != "__metadata__" else { throw .invalidName(name) }
        guard seen.insert(name).inserted else { throw .duplicateName(name) }
    }
    let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }

    var header = "{"
    var parts: [String] = []
    if !metadata.isEmpty {
        let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let items = keys.map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
        parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
    }
    var offset = 0
    for (name, tensor) in sorted {
        let size = tensor.count * 4
        let shape = tensor.shape.map(String.init).joined(separator: ",")
        parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
        offset += size
    }
    header += parts.joined(separator: ",") + "}"
    var headerBytes = Array(header.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + headerBytes.count + offset)
    let length = UInt64(headerBytes.count)
    for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
    bytes.append(contentsOf: headerBytes)
    for (_, tensor) in sorted {
        for scalar in tensor.scalars {
            let bits = scalar.bitPattern
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
    }
    return bytes
}

/// Writes `tensors` as a safetensors file (see `safeTensorsData`), atomically: the bytes go to a
/// temporary file in the same folder, which is then renamed over `path`, so an interrupted
/// write never leaves half a file.
public func writeSafeTensors(_ tensors: [(name: String, tensor: Tensor)],
                             metadata: [String: String] = [:],
                             to path: String) throws(SafeTensorsError) {
    let bytes = try safeTensorsData(tensors, metadata: metadata)
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(
        ".\(url.lastPathComponent).\(getpid()).\(UInt64(Date().timeIntervalSince1970 * 1e6)).tmp")
    do {
        try Data(bytes).write(to: temporary)
    } catch {
        throw .fileError(path: path, reason: "cannot write the temporary file \(temporary.path) (\(error.localizedDescription))")
    }
    guard rename(temporary.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary.path)
        throw .fileError(path: path, reason: "cannot rename the temporary file into place (\(reason))")
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped, the rest as UTF-8.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
