import CustodyCore
import Media
import POSIX
import Uploads
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A finished upload's bytes read from its piece files, for the probe at completion. Only the ranges
/// the demuxer asks for are read (it reads 64 KiB at a time, mostly the start and the index), and
/// nothing is hashed again: the upload's hasher saw every byte as it arrived. Reading through the
/// chunk store instead would read and hash whole 4 MiB chunks.
final class UploadPieceSource: MediaSource {
    let size: Int64
    let label: String
    private let paths: [String]
    private let pieceSize: Int
    /// The piece file open now, if any.
    private var current: (index: Int, fd: Int32)?

    /// Nil unless every piece file is there (a completion cut short may have moved some already).
    init?(_ received: ReceivedUpload) {
        paths = received.paths
        guard paths.allSatisfy(FS.exists) else { return nil }
        size = received.upload.length
        label = "upload \(received.upload.id)"
        pieceSize = UploadStore.pieceSize
    }

    deinit { if let current { close(current.fd) } }

    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset >= 0, offset < size, !buffer.isEmpty else { return 0 }
        let index = Int(offset / Int64(pieceSize))
        let within = Int(offset % Int64(pieceSize))
        let fd = try open(index)
        let want = min(buffer.count, pieceSize - within)
        return try systemCall("pread", path: paths[index]) { pread(fd, buffer.baseAddress!, want, off_t(within)) }
    }

    private func open(_ index: Int) throws -> Int32 {
        if let current, current.index == index { return current.fd }
        if let current { close(current.fd) }
        current = nil
        let fd = try FS.open(paths[index], O_RDONLY)
        current = (index, fd)
        return fd
    }
}
