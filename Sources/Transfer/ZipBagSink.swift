import BagIt
import Foundation
import Zip

/// A `BagSink` that stores each bag file as one ZIP entry (stored, ZIP64 where needed) under the path
/// the builder gives (the bag's top folder first: `BN-000001/data/...`). Every entry gets the same
/// time. Sizes are known up front, so each local header holds them; the ZIP writer decides whether the
/// CRC-32 is written back into the header or follows in a data descriptor (its output's `canOverwrite`).
public final class ZipBagSink: BagSink {
    public let writer: ZipWriter
    private let modified: Date

    public init(writer: ZipWriter, modified: Date) {
        self.writer = writer
        self.modified = modified
    }

    public func addFile(path: String, size: UInt64,
                        contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try writer.add(name: path, size: size, modified: modified) { entry in
            try contents { bytes in try entry.write(bytes) }
        }
    }
}
