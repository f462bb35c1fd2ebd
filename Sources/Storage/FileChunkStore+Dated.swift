import CustodyCore
import Foundation
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension FileChunkStore: DatedChunkListing {
    /// `list`, with each file's modification time. A file removed between the listing and its `stat` is left out.
    public func listDated(after cursor: SHA256Digest?, limit: Int) throws -> [DatedChunk] {
        try list(after: cursor, limit: limit).compactMap { digest in
            let file = path(for: digest)
            var info = stat()
            guard stat(file, &info) == 0 else {
                if errno == ENOENT { return nil }
                throw SystemError(call: "stat", path: file, errno: errno)
            }
            let seconds = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            return DatedChunk(digest: digest, modified: Date(timeIntervalSince1970: seconds))
        }
    }
}
