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
/// Process-wide (`shared`: each request has an `UploadStore` of its own), and bounded over every upload: at most
/// `limit` PUTs in flight at once, `lanes` of them for one upload; a piece waits in its upload's list, holding
/// neither memory nor a thread, until its turn, when it is read back from its file and stored. A request only
/// queues the work and never waits for the network. A piece file is never removed here: the completion's `adopt`
/// removes it, once its chunk is stored. A failed PUT (the store down) is logged (`warn`) and drops what its upload
/// had waiting: the pieces stay on disk and the completion sends them, or fails as it would have, leaving the upload
/// to resume.
final class EarlyPieces: @unchecked Sendable {
    static let shared = EarlyPieces()
    /// PUTs in flight per upload: two keep the link busy while one waits for its answer.
    static let lanes = 2
    /// PUTs in flight over every upload, as many as a bucket store's own (`parallelPUTs`): each holds a piece in
    /// memory, a thread and a connection.
    static let limit = 8

    typealias Piece = (path: String, digest: SHA256Digest, size: Int)

    private final class Upload: @unchecked Sendable {  // guarded by `lock`
        let id: String
        /// Pieces waiting for their turn, in order, each with the store to put it in.
        var waiting: [(Piece, Unchecked<any EarlyChunkStore>)] = []
        var running = 0
        /// Entered by each piece being stored: `settle` waits for it.
        let busy = DispatchGroup()
        /// The chunks stored, and through which store.
        var stored: [(SHA256Digest, any EarlyChunkStore)] = []
        /// The chunks whose object held other bytes and was written again: for `settle` to hand to the ledger.
        var repaired: [SHA256Digest] = []
        init(_ id: String) { self.id = id }
    }

    private let lock = NSLock()
    private var uploads: [String: Upload] = [:]
    /// PUTs in flight over every upload.
    private var running = 0
    private let queue = DispatchQueue(label: "custody.early-pieces", attributes: .concurrent)
    /// Told of each failed PUT (a message and safe fields: the upload, the chunk, the error), once per failure.
    var warn: @Sendable (String, [String: String]) -> Void = { message, fields in
        FileHandle.standardError.write(Data("\(message) \(fields.sorted { $0.key < $1.key })\n".utf8))
    }

    func setWarn(_ warn: @escaping @Sendable (String, [String: String]) -> Void) { lock.withLock { self.warn = warn } }

    /// Queues the pieces of upload `id` for `store`, each a file of `size` bytes named by `digest`.
    func sealed(_ id: String, _ pieces: [Piece], store: any EarlyChunkStore) {
        guard !pieces.isEmpty else { return }
        let target = Unchecked(value: store)  // thread-safe for `storeEarly` (the protocol's promise)
        lock.withLock {
            let upload = uploads[id] ?? Upload(id)
            uploads[id] = upload
            upload.waiting += pieces.map { ($0, target) }
            startWaiting()
        }
    }

    /// Starts waiting pieces while fewer than `limit` are stored at once: next the upload with the fewest in
    /// flight (below `lanes`), its oldest piece. Under `lock`.
    private func startWaiting() {
        while running < Self.limit,
              let upload = uploads.values.filter({ !$0.waiting.isEmpty && $0.running < Self.lanes })
                  .min(by: { $0.running < $1.running }) {
            let (piece, target) = upload.waiting.removeFirst()
            running += 1
            upload.running += 1
            upload.busy.enter()
            queue.async { [self] in
                defer { upload.busy.leave() }
                let outcome = Result { try Self.store(piece, in: target.value) }
                if case .failure(let error) = outcome {
                    lock.withLock { warn }("an early PUT failed; the upload's completion sends the piece",
                                           ["upload": upload.id, "chunk": piece.digest.hex, "error": "\(error)"])
                }
                lock.withLock {
                    running -= 1
                    upload.running -= 1
                    switch outcome {
                    case .success(let done):
                        if done != .notStored { upload.stored.append((piece.digest, target.value)) }
                        if done == .repaired { upload.repaired.append(piece.digest) }
                    case .failure:
                        upload.waiting.removeAll()
                    }
                    startWaiting()
                }
            }
        }
    }

    /// Drops what is still waiting for upload `id` and waits for the PUTs under way: before its completion
    /// adopts the pieces (which sends those not stored yet, in parallel) or its pieces are removed. `abandoned`:
    /// the upload ends without completing, so the store forgets which of its chunks were stored early (nothing
    /// keeps them from `store gc` now). Returns the chunks its early PUTs found damaged and wrote again, however
    /// the upload ends: the caller records them (`CustodyEvent.chunkRepaired`), once.
    @discardableResult
    func settle(_ id: String, abandoned: Bool = false) -> [SHA256Digest] {
        guard let upload = lock.withLock({
            let upload = uploads.removeValue(forKey: id)
            upload?.waiting.removeAll()
            return upload
        }) else { return [] }
        upload.busy.wait()
        return lock.withLock {
            if abandoned { for (digest, store) in upload.stored { store.forgetEarly(digest) } }
            return upload.repaired
        }
    }

    /// Reads one piece file straight into the bytes sent and stores them; returns what the store did. A file that
    /// is not its full size is left to `adopt`.
    private static func store(_ piece: Piece, in store: any EarlyChunkStore) throws -> EarlyOutcome {
        let fd = try FS.open(piece.path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let bytes = try [UInt8](unsafeUninitializedCapacity: piece.size) { buffer, count in
            count = try FS.readFull(fd, UnsafeMutableRawBufferPointer(buffer), path: piece.path)
        }
        guard bytes.count == piece.size else { return .notStored }
        return try store.storeEarly(piece.digest, bytes)
    }
}
