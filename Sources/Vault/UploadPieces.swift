import CustodyCore
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Writes an upload's bytes into its chunk-sized piece files, from its durable offset on. A finished
/// piece has its writeback started at once (so the request never waits for the disk mid-stream);
/// `makeDurable` fsyncs every piece written (mostly already on disk by then) and the folder.
final class PieceWriter {
    private let store: UploadStore
    private let id: String
    private let startIndex: Int
    private let startFill: Int
    private(set) var written: Int64 = 0
    private var index: Int
    private var fill: Int
    private var fd: Int32 = -1
    private var createdFiles = false
    /// Finished pieces of this request, still open until `makeDurable` fsyncs them.
    private var finished: [(fd: Int32, path: String)] = []

    init(store: UploadStore, upload: Upload) throws {
        self.store = store
        id = upload.id
        startIndex = Int(upload.offset / Int64(UploadStore.pieceSize))
        startFill = Int(upload.offset % Int64(UploadStore.pieceSize))
        index = startIndex
        fill = startFill
        // What a crash or a refused request left past the offset goes first.
        try removePieces(after: startIndex)
        try open(truncatingTo: startFill)
    }

    deinit {
        if fd >= 0 { close(fd) }
        for f in finished { close(f.fd) }
    }

    private func open(truncatingTo length: Int) throws {
        let path = store.piecePath(id, index)
        createdFiles = createdFiles || !FS.exists(path)
        fd = try FS.open(path, O_WRONLY | O_CREAT, 0o600)
        try FS.call("ftruncate", path) { ftruncate(fd, off_t(length)) }
        guard lseek(fd, off_t(length), SEEK_SET) == off_t(length) else {
            throw SystemError(call: "lseek", path: path, errno: errno)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            if fill == UploadStore.pieceSize {
                // DONTNEED starts writeback now and keeps finished pieces out of the page cache.
                _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
                finished.append((fd, store.piecePath(id, index)))
                fd = -1
                if finished.count > 8 {  // bounded open files: the oldest is long written back by now
                    let oldest = finished.removeFirst()
                    defer { close(oldest.fd) }
                    try FS.fsync(oldest.fd, path: oldest.path)
                }
                index += 1
                fill = 0
                try open(truncatingTo: 0)
            }
            let n = min(rest.count, UploadStore.pieceSize - fill)
            try FS.writeAll(fd, UnsafeRawBufferPointer(rebasing: rest[0..<n]), path: store.piecePath(id, index))
            fill += n
            written += Int64(n)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    /// Every byte written so far survives a crash once this returns.
    func makeDurable() throws {
        for f in finished { try FS.fsync(f.fd, path: f.path) }
        finished.forEach { close($0.fd) }
        finished.removeAll()
        try FS.fsync(fd, path: store.piecePath(id, index))
        if createdFiles { try FS.fsyncDirectory(store.dataPath(id)) }
    }

    /// Puts the pieces back as they were before this request.
    func discard() {
        if fd >= 0 { close(fd) }
        fd = -1
        for f in finished { close(f.fd) }
        finished.removeAll()
        try? removePieces(after: startIndex)
        _ = truncate(store.piecePath(id, startIndex), off_t(startFill))
    }

    private func removePieces(after last: Int) throws {
        let dir = store.dataPath(id)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            guard name.hasPrefix("p"), let i = Int(name.dropFirst()), i > last else { continue }
            unlink(dir + "/" + name)
        }
    }
}
