import CustodyCore
import Foundation
import POSIX
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Stores an upload's sealed pieces (full, fsynced, below its recorded offset) while the upload goes on, into
/// a store that gains from it (`EarlyChunkStore`: a bucket), so that its completion sends only the last ones.
///
/// Each upload has `lanes` serial queues of its own (at most that many PUTs in flight per upload) that read
/// each piece file back and store it; a request only queues the work and never waits for the network. A piece
/// file is never removed here: the completion's `adopt` removes it, once its chunk is stored. A failed PUT
/// (the store down) is dropped with the rest of its lane's queue: the pieces stay on disk and the completion
/// sends them, or fails as it would have, leaving the upload to resume. Process-wide (`shared`): each request
/// has an `UploadStore` of its own.
final class EarlyPieces: @unchecked Sendable {
    static let shared = EarlyPieces()
    /// PUTs in flight per upload: two keep the link busy while one waits for its answer.
    static let lanes = 2

    private final class Upload: @unchecked Sendable {
        let queues = (0..<EarlyPieces.lanes).map { DispatchQueue(label: "custody.early-pieces.\($0)") }
        /// Set by `settle`: what is still queued is skipped.
        var stopped = false
        /// Per lane: the number of pieces queued before its last failure, skipped (their turn has passed).
        var failedBefore = Array(repeating: 0, count: EarlyPieces.lanes)
        var queued = 0
        /// The chunks stored, and through which store.
        var stored: [(SHA256Digest, any EarlyChunkStore)] = []
        /// The chunks whose object held other bytes and was written again: for `settle` to hand to the ledger.
        var repaired: [SHA256Digest] = []
    }

    private let lock = NSLock()
    private var uploads: [String: Upload] = [:]

    /// Queues the pieces of upload `id` for `store`, each a file of `size` bytes named by `digest`.
    func sealed(_ id: String, _ pieces: [(path: String, digest: SHA256Digest, size: Int)], store: any EarlyChunkStore) {
        guard !pieces.isEmpty else { return }
        let upload = lock.withLock {
            let upload = uploads[id] ?? Upload()
            uploads[id] = upload
            return upload
        }
        let target = Unchecked(value: store)  // thread-safe for `storeEarly` (the protocol's promise)
        for piece in pieces {
            let (lane, ticket) = lock.withLock {
                upload.queued += 1
                return (upload.queued % Self.lanes, upload.queued)
            }
            upload.queues[lane].async { [self] in
                guard lock.withLock({ !upload.stopped && ticket > upload.failedBefore[lane] }) else { return }
                do {
                    let outcome = try Self.store(piece, in: target.value)
                    lock.withLock {
                        if outcome != .notStored { upload.stored.append((piece.digest, target.value)) }
                        if outcome == .repaired { upload.repaired.append(piece.digest) }
                    }
                } catch {
                    lock.withLock { upload.failedBefore[lane] = upload.queued }
                }
            }
        }
    }

    /// Skips what is still queued for upload `id` and waits for the PUTs under way: before its completion
    /// adopts the pieces (which sends those not stored yet, in parallel) or its pieces are removed. `abandoned`:
    /// the upload ends without completing, so the store forgets which of its chunks were stored early (nothing
    /// keeps them from `store gc` now). Returns the chunks its early PUTs found damaged and wrote again, however
    /// the upload ends: the caller records them (`CustodyEvent.chunkRepaired`), once.
    @discardableResult
    func settle(_ id: String, abandoned: Bool = false) -> [SHA256Digest] {
        guard let upload = lock.withLock({ uploads.removeValue(forKey: id) }) else { return [] }
        lock.withLock { upload.stopped = true }
        for queue in upload.queues { queue.sync {} }
        if abandoned { for (digest, store) in upload.stored { store.forgetEarly(digest) } }
        return lock.withLock { upload.repaired }
    }

    /// Reads one piece file and stores it; returns what the store did. A file that is not its full size is left
    /// to `adopt`.
    private static func store(_ piece: (path: String, digest: SHA256Digest, size: Int), in store: any EarlyChunkStore)
        throws -> EarlyOutcome {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece.size, alignment: 4096)
        defer { buffer.deallocate() }
        let fd = try FS.open(piece.path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        guard try FS.readFull(fd, buffer, path: piece.path) == piece.size else { return .notStored }
        return try store.storeEarly(piece.digest, UnsafeRawBufferPointer(buffer))
    }
}
