// libFuzzer target: any bytes as a safetensors file. Parsing must either succeed or throw a
// SafeTensorsError; every tensor of a file that parses must then read without trapping.
import FuzzDriver
import ModelIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let file = try SafeTensors(data: bytes, name: "fuzz.safetensors")
        for entry in file.entries {
            _ = try? file.rawBytes(of: entry.name)
            _ = try? file.tensor(named: entry.name)
        }
        _ = file.metadata.count
    } catch {
        _ = error.description   // building the message must not trap either
    }
    return 0
}

runFuzzer { data, size in
    guard let data else { return 0 }
    return fuzz(data, size)
}
