import Foundation
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Writes a bag's files under a directory, creating folders as needed. A file that already exists
/// is refused (`O_EXCL`), so a bag never mixes with what was there. Nothing is fsynced: this is for
/// unpacked bags and tests, not for a bundle that must survive a crash.
public final class FolderBagSink: BagSink {
    /// The directory the bag's top-level folder is created in.
    public let directory: String

    /// - Parameter directory: an existing directory; the bag's top-level folder goes inside it.
    public init(directory: String) {
        self.directory = directory
    }

    public func addFile(path: String, size: UInt64,
                        contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let full = directory + "/" + path
        try makeParents(of: path)
        let fd = try FS.open(full, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        defer { close(fd) }
        try contents { bytes in try FS.writeAll(fd, bytes, path: full) }
    }

    private func makeParents(of path: String) throws {
        var folder = directory
        for component in path.unicodeScalars.split(separator: "/").dropLast() {
            folder += "/" + String(component)
            try FS.mkdir(folder)
        }
    }
}
