import Foundation
import Testing
@testable import Figures

/// Issue 14: the outputs of one run are published all together or not at all, a failure names
/// its cause, a FIFO or device is never replaced, and PDFs are byte-identical across runs.
@Suite("Staged outputs: all or nothing")
struct StagedOutputsTests {
    let chart = Heatmap(values: [[0.1, 0.9], [0.5, 0.5]], rowLabels: ["a", "b"], columnLabels: ["c", "d"],
                        title: "Staging test")

    /// The ways a later output of a run can fail, each after an earlier one was staged.
    enum LaterFailure: String, CaseIterable, Sendable {
        case folderMissing, fifoInTheWay, folderInTheWay, renameFails
    }

    @Test(arguments: LaterFailure.allCases)
    func aLaterFailureLeavesNoOutputAndNoTemporaryFile(_ failure: LaterFailure) throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let outputs = StagedOutputs()
        try outputs.stage(chart, to: dir + "/figure.png")
        try outputs.stage(Array("{}".utf8), to: dir + "/trace.json")
        var before = ["figure.png", "trace.json"]
        let third = dir + "/weights.bin"
        switch failure {
        case .folderMissing:
            #expect(throws: FigureError.self) { try outputs.stage([1, 2, 3], to: dir + "/nosuch/weights.bin") }
            outputs.discard()
            before = []
        case .fifoInTheWay:
            #expect(mkfifo(third, 0o644) == 0)
            #expect(throws: OutputError.notRegularFile(path: third, kind: "a FIFO (named pipe)")) { try outputs.stage([1, 2, 3], to: third) }
            outputs.discard()
            before = ["weights.bin"]
        case .folderInTheWay:
            try FileManager.default.createDirectory(atPath: third, withIntermediateDirectories: false)
            #expect(throws: OutputError.notRegularFile(path: third, kind: "a folder")) { try outputs.stage([1, 2, 3], to: third) }
            outputs.discard()
            before = ["weights.bin"]
        case .renameFails:
            try outputs.stage([1, 2, 3], to: third)
            // After staging, a non-empty folder appears where the last file goes: its rename fails
            // after the first two were renamed, and those must go again.
            try FileManager.default.createDirectory(atPath: third + "/inside", withIntermediateDirectories: true)
            #expect(throws: OutputError.self) { try outputs.publish() }
            before = ["weights.bin", "weights.bin/inside"]
        }
        #expect(contents(of: dir).filter { !$0.hasPrefix(".") } == before.filter { !$0.contains("/") }, "\(contents(of: dir))")
        #expect(!contents(of: dir).contains { $0.contains(".tmp-") }, "\(contents(of: dir))")
        // The FIFO is still a FIFO: refused, not replaced.
        if failure == .fifoInTheWay {
            var status = stat()
            #expect(stat(third, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        }
    }

    @Test func everythingIsPublishedTogether() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let outputs = StagedOutputs()
        try outputs.stage(chart, to: dir + "/figure.png")
        try outputs.stage(Array("{}".utf8), to: dir + "/trace.json")
        #expect(contents(of: dir).allSatisfy { $0.contains(".tmp-") }, "nothing is published before publish()")
        try outputs.publish()
        #expect(contents(of: dir) == ["figure.png", "trace.json"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/trace.json")) == Data("{}".utf8))
    }

    /// A full disk: a 64 KiB tmpfs and a 200 KiB output. Needs root for mount(8); elsewhere the
    /// CLI tests inject the same ENOSPC through TX_TEST_FAIL_WRITE.
    @Test func aFullDiskSaysNoSpaceLeftAndLeavesNothing() throws {
        let dir = try makeTemporaryDirectory()
        defer { _ = try? runMount(["umount", dir]); removeDirectory(dir) }
        guard getuid() == 0, (try? runMount(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])) == 0 else { return }
        let outputs = StagedOutputs()
        try outputs.stage([UInt8](repeating: 1, count: 10_000), to: dir + "/small.bin")
        do {
            try outputs.stage([UInt8](repeating: 7, count: 200_000), to: dir + "/large.bin")
            Issue.record("wrote 200 KB into a 64 KB file system")
        } catch {
            #expect("\(error)".contains("no space left on the device"), "\(error)")
            #expect("\(error)".hasPrefix("cannot write \(dir)/large.bin"), "\(error)")
        }
        outputs.discard()
        #expect(contents(of: dir).isEmpty, "\(contents(of: dir))")
    }

    @Test(arguments: [10, 200, 250, 255])
    func temporaryNamesFitIn255Bytes(length: Int) throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let name = String(repeating: "é", count: (length - 4) / 2) + (length % 2 == 1 ? "a" : "") + ".png"
        #expect(StagedOutputs.temporaryName(for: dir + "/" + name).utf8.count <= 255)
        guard name.utf8.count <= 255 else { return }
        try render(chart, to: dir + "/" + name)
        #expect(contents(of: dir) == [name])
    }

    @Test func aCharacterDeviceIsNotReplaced() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        // out.png → /dev/null: the destination is the device once the symlink is followed.
        try FileManager.default.createSymbolicLink(atPath: dir + "/out.png", withDestinationPath: "/dev/null")
        #expect(throws: OutputError.notRegularFile(path: dir + "/out.png", kind: "a character device")) {
            try render(chart, to: dir + "/out.png")
        }
        #expect(throws: OutputError.notRegularFile(path: dir + "/out.png", kind: "a character device")) {
            try checkWritableDestination(dir + "/out.png")
        }
        var status = stat()
        #expect(stat("/dev/null", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    }

    /// Cairo stamps the current time into a PDF; the Canvas sets a fixed date instead. (SVGs are
    /// compared across processes in the CLI tests: Cairo numbers glyph ids per process, so two
    /// SVGs drawn in one process differ in their ids, while every fresh run starts the same.)
    @Test func pdfIsByteIdenticalAcrossRenders() throws {
        let firstPDF = try renderData(chart, format: .pdf)
        sleep(1)
        usleep(100_000)
        #expect(try renderData(chart, format: .pdf) == firstPDF)
        let text = String(decoding: firstPDF, as: UTF8.self)
        #expect(text.contains("/CreationDate (19700101000000Z)") || text.contains("/CreationDate (D:19700101000000Z)"))
    }
}

/// Runs mount or umount; returns the exit status.
func runMount(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0] == "mount" ? "/bin/mount" : "/bin/umount")
    process.arguments = Array(arguments.dropFirst())
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
