// libFuzzer target: any bytes as a GGUF file. Parsing must either succeed or throw a GGUFError;
// for a file that parses, every tensor is read (dequantised) and the metadata accessors and the
// tokenizer loader run, none of which may trap.
import Foundation
import FuzzDriver
import ModelIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    do {
        let file = try GGUFFile(data: bytes, name: "fuzz.gguf")
        for info in file.tensors {
            _ = try? file.rawBytes(of: info.name)
            _ = try? file.tensor(named: info.name)
        }
        for key in file.metadataKeys {
            _ = try? file.string(key)
            _ = try? file.int(key)
            _ = try? file.float(key)
            _ = try? file.stringArray(key)
            _ = try? file.intArray(key)
        }
        if let tokenizer = try? ByteLevelBPE(gguf: file) {
            let ids = tokenizer.encode("Hello world, 2024!")
            _ = try? tokenizer.decode(ids)
        }
    } catch {
        _ = error.description
    }
    return 0
}

runFuzzer { data, size in
    guard let data else { return 0 }
    return fuzz(data, size)
}
