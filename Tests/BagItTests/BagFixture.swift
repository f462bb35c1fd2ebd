import Foundation
import BagIt
import TestSupport

/// A bag built into a fresh temp folder, and ways to read what was written.
final class BagFixture {
    let temp = TemporaryDirectory("bagit-test")
    let name: String
    let builder: BagBuilder

    init(name: String = "bundle-1") throws {
        self.name = name
        builder = try BagBuilder(name: name, sink: FolderBagSink(directory: temp.path))
    }

    /// The bag's top-level folder.
    var bag: String { temp.path + "/" + name }

    func path(_ relative: String) -> String { bag + "/" + relative }

    func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }

    /// Changes one byte of a file in place (xor 0x01), keeping its size.
    func flipByte(_ relative: String, at offset: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
        data[offset] ^= 0x01
        try data.write(to: URL(fileURLWithPath: path(relative)))
    }

    func remove() { temp.remove() }
}

/// A sink that records the files it is given, in order, with their bytes.
final class RecordingSink: BagSink {
    private(set) var files: [(path: String, bytes: [UInt8])] = []

    func addFile(path: String, size: UInt64,
                 contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        var bytes: [UInt8] = []
        try contents { bytes.append(contentsOf: $0) }
        files.append((path, bytes))
    }

    func file(_ path: String) -> [UInt8]? { files.first { $0.path == path }?.bytes }
}
