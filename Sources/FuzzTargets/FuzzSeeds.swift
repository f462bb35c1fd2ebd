import Foundation
import Ledger
import Zip

/// The seeds `custody-fuzz make-corpus` writes (the rest of the corpus is written by hand): the fuzz
/// log's checkpoints and proofs, and small ZIPs from custody's own writer. Deterministic, so the
/// tests can check the committed files are what this makes.
public enum FuzzSeeds {
    public static func generated() throws -> [String: [(name: String, bytes: [UInt8])]] {
        func text(_ s: String) -> [UInt8] { Array(s.utf8) }
        let cp8 = try FuzzLedger.checkpoint(size: 8), cp5 = try FuzzLedger.checkpoint(size: 5)
        return [
            "checkpoint": [("size-8.note", text(cp8.note)), ("size-5.note", text(cp5.note)),
                           ("size-1.note", text(try FuzzLedger.checkpoint(size: 1).note))],
            "inclusion-proof": [
                ("leaf-0-of-8.proof", text(try FuzzLedger.inclusionProof(index: 0, size: 8).text)),
                ("leaf-6-of-8.proof", text(try FuzzLedger.inclusionProof(index: 6, size: 8).text)),
                ("leaf-4-of-5.proof", text(try FuzzLedger.inclusionProof(index: 4, size: 5).text)),
            ],
            "consistency-proof": [
                ("1-to-8.proof", text(try FuzzLedger.consistencyProof(oldSize: 1, newSize: 8).text)),
                ("5-to-8.proof", text(try FuzzLedger.consistencyProof(oldSize: 5, newSize: 8).text)),
                ("3-to-5.proof", text(try FuzzLedger.consistencyProof(oldSize: 3, newSize: 5).text)),
            ],
            "zip-reader": [("bag.zip", try zip(forceZip64: false)), ("bag-zip64.zip", try zip(forceZip64: true)),
                           ("streamed.zip", try zip(forceZip64: false, streamed: true))],
        ]
    }

    /// A bag-shaped archive: a top folder, a tag file, a data file (streamed: sizes in descriptors).
    static func zip(forceZip64: Bool, streamed: Bool = false) throws -> [UInt8] {
        let output = MemoryOutput()
        let writer = ZipWriter(output: output, options: .init(forceZip64: forceZip64))
        let modified = Date(timeIntervalSince1970: 1_790_000_000)
        try writer.addFolder(name: "BN-000001/", modified: modified)
        let files = [("BN-000001/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
                     ("BN-000001/data/EX-000001.mp4", "not really a recording\n")]
        for (name, content) in files {
            let bytes = Array(content.utf8)
            try writer.add(name: name, size: streamed ? nil : UInt64(bytes.count), modified: modified) {
                try $0.write(bytes)
            }
        }
        try writer.finish()
        return output.bytes
    }
}

/// Keeps a ZIP in memory.
final class MemoryOutput: ZipOutput {
    var bytes: [UInt8] = []
    func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes += bytes }
}
