import CustodyCore
import Foundation
import POSIX
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Writes an upload's bytes into its chunk-sized piece files, from its durable offset on.
///
/// The body is read straight into a piece-sized buffer (`space`, then `commit`). A piece this
/// request fills from its first byte is written once, whole, with direct I/O when it is full: no
/// copy into the page cache and no writeback later. That write runs on a `BackgroundWriter` of the
/// request's own while the caller hashes the piece and receives the next one into a second buffer,
/// so the disk and the CPU work at once; its error surfaces when the next piece is full or in
/// `makeDurable`. A piece the request starts in the middle of (an earlier request wrote its
/// beginning) is written through the page cache as bytes arrive. `makeDurable` writes a piece left
/// part-filled at the end of the body, then fsyncs every piece written (their data on the device by
/// then) and the folder. `syncIfDue` does the same for the full pieces about once a second while the
/// body arrives, so the caller can record them as kept before the request ends.
///
/// Memory: one piece-sized buffer, and a second once the request has filled a piece.
final class PieceWriter {
    /// Bytes read from the body between writes to a piece written through the page cache.
    static let writeThroughStep = 1 << 20
    /// Seconds between two `syncIfDue` that make pieces durable mid-request.
    static let syncInterval = 1.0

    private let store: UploadStore
    private let id: String
    private let pieceSize = UploadStore.pieceSize
    /// Where the pieces go back to on `discard`: the offset the request started at, then the end of
    /// the last full piece `syncIfDue` made durable.
    private var keptIndex: Int
    private var keptFill: Int
    private var lastSync = DispatchTime.now()
    private(set) var written: Int64 = 0
    private var index: Int
    /// Bytes of piece `index` received so far; `stage[0..<fill]` holds them unless `writeThrough`.
    private var fill: Int
    /// The current piece started before this request: its bytes go to `fd` as they arrive.
    private var writeThrough: Bool
    private var fd: Int32 = -1
    /// The buffer being filled.
    private var stage: UnsafeMutableRawBufferPointer
    /// The other buffer, which `background` may still be writing.
    private var spare: UnsafeMutableRawBufferPointer?
    /// Writes full pieces; its two slots are `stage` and `spare`.
    private let background: BackgroundWriter
    private var createdFiles = false
    /// Pieces written whole by this request, closed; `makeDurable` fsyncs them (their metadata).
    private var finished: [String] = []

    init(store: UploadStore, upload: Upload) throws {
        self.store = store
        id = upload.id
        keptIndex = Int(upload.offset / Int64(pieceSize))
        keptFill = Int(upload.offset % Int64(pieceSize))
        index = keptIndex
        fill = keptFill
        writeThrough = keptFill > 0
        stage = .allocate(byteCount: pieceSize, alignment: FS.directAlignment)
        background = BackgroundWriter(slots: 2, queue: store.pieceWriteQueue ?? DispatchQueue(label: "custody.piece-writes"))
        background.reserveSlot()  // for `stage`
        // What a crash or a refused request left past the offset goes first.
        try removePieces(after: keptIndex)
        let path = store.piecePath(id, index)
        if writeThrough {
            fd = try FS.open(path, O_WRONLY, 0o600)
            try systemCall("ftruncate", path: path) { ftruncate(fd, off_t(keptFill)) }
            guard lseek(fd, off_t(keptFill), SEEK_SET) == off_t(keptFill) else {
                throw SystemError(call: "lseek", path: path, errno: errno)
            }
        } else {
            unlink(path)  // written whole later
        }
    }

    deinit {
        _ = try? background.finish()  // no buffer is freed while it may still be written
        if fd >= 0 { close(fd) }
        stage.deallocate()
        spare?.deallocate()
    }

    /// Where the next bytes of the body go: fill a prefix of it, then `commit` that many bytes.
    func space() -> UnsafeMutableRawBufferPointer {
        let end = writeThrough ? min(pieceSize, fill + Self.writeThroughStep) : pieceSize
        return UnsafeMutableRawBufferPointer(rebasing: stage[fill..<end])
    }

    /// Takes the first `count` bytes of the last `space()`; returns them (valid until the next
    /// `space()` is filled) so the caller can hash them. Read them only: a background write may be
    /// reading them at the same time.
    func commit(_ count: Int) throws -> UnsafeRawBufferPointer {
        precondition(count >= 0 && fill + count <= pieceSize)
        let bytes = UnsafeRawBufferPointer(rebasing: stage[fill..<fill + count])
        if writeThrough { try FS.writeAll(fd, bytes, path: store.piecePath(id, index)) }
        fill += count
        written += Int64(count)
        if fill == pieceSize { try finishPiece() }
        return bytes
    }

    private func finishPiece() throws {
        if writeThrough {
            // Written through the page cache: fsynced before it is closed, so a writeback error
            // cannot be lost with the descriptor. At most one such piece per request.
            defer { close(fd); fd = -1 }
            try FS.fsync(fd, path: store.piecePath(id, index))
            writeThrough = false
        } else {
            if let error = background.error { throw error }
            let path = store.piecePath(id, index)
            createdFiles = true
            finished.append(path)
            background.submit(UnsafeRawBufferPointer(stage)) { try Self.writePiece(path, $0) }
            let next = spare ?? .allocate(byteCount: pieceSize, alignment: FS.directAlignment)
            spare = stage
            stage = next
            background.reserveSlot()  // waits while `next` is still being written
        }
        index += 1
        fill = 0
    }

    /// Writes `stage[0..<count]` as piece `index`, now.
    private func writeStaged(_ count: Int) throws {
        let path = store.piecePath(id, index)
        createdFiles = true
        finished.append(path)
        try Self.writePiece(path, UnsafeRawBufferPointer(rebasing: stage[0..<count]))
    }

    /// Writes a whole piece file, directly where the filesystem allows it: then its data is on the
    /// device, and `makeDurable` fsyncs it with the others for its metadata. What went through the
    /// page cache (a tail under 4 KiB, or everything where direct I/O is refused) is fsynced here,
    /// before the descriptor goes, so no writeback error is lost.
    static func writePiece(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
        let (fd, direct) = try FS.openForDirectWrite(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        if try !FS.writeMostlyDirect(fd, bytes, direct: direct, path: path) { try FS.fsync(fd, path: path) }
    }

    /// Every byte committed so far survives a crash once this returns. Call once, after the body.
    func makeDurable() throws {
        try background.finish()
        if !writeThrough && fill > 0 { try writeStaged(fill) }
        try syncFinished()
        if fd >= 0 { try FS.fsync(fd, path: store.piecePath(id, index)) }
    }

    /// Mid-request, at most once per `syncInterval` and only past a piece completed since the last
    /// time: makes every full piece durable (waiting for the one being written, a few milliseconds)
    /// and returns how many of the request's bytes are durable now, all of them kept by a later
    /// `discard`. Nil when not due. The piece being filled is left alone.
    func syncIfDue() throws -> Int64? {
        guard index > keptIndex,
              DispatchTime.now().uptimeNanoseconds - lastSync.uptimeNanoseconds >= UInt64(Self.syncInterval * 1e9)
        else { return nil }
        try background.finish()
        try syncFinished()
        keptIndex = index
        keptFill = 0
        lastSync = DispatchTime.now()
        return written - Int64(fill)  // the current piece began in this request: `fill` is its bytes
    }

    /// fsyncs the pieces written whole so far, then the folder. One journal commit makes all of them
    /// durable: the first fsync commits every piece's metadata, the others find theirs committed
    /// (their data reached the device when written).
    private func syncFinished() throws {
        for path in finished {
            let fd = try FS.open(path, O_RDONLY)
            defer { close(fd) }
            try FS.fsync(fd, path: path)
        }
        finished.removeAll()
        if createdFiles { try FS.fsyncDirectory(store.dataPath(id)) }
    }

    /// Puts the pieces back as they were before this request, or at its last `syncIfDue`.
    func discard() {
        _ = try? background.finish()  // before the pieces it writes are removed
        if fd >= 0 { close(fd) }
        fd = -1
        finished.removeAll()
        try? removePieces(after: keptIndex)
        if keptFill > 0 {
            _ = truncate(store.piecePath(id, keptIndex), off_t(keptFill))
        } else {
            unlink(store.piecePath(id, keptIndex))
        }
    }

    private func removePieces(after last: Int) throws {
        let dir = store.dataPath(id)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            guard name.hasPrefix("p"), let i = Int(name.dropFirst()), i > last else { continue }
            unlink(dir + "/" + name)
        }
    }
}
