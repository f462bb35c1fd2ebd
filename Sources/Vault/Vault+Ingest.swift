import Catalog
import CustodyCore
import Crypto
import Dispatch
import Foundation
import Ledger
import Media
import POSIX
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The outcome of ingesting one file.
public struct IngestResult: Sendable {
    public let exhibit: Exhibit
    /// True when the vault already held these exact bytes; nothing new was stored.
    public let duplicate: Bool
    /// The source's `notes`, as recorded in the custody event.
    public var notes: [String: String] = [:]
    /// Chunks the store held damaged and this ingest replaced with good bytes (each recorded in the ledger).
    public var repairedChunks: [SHA256Digest] = []
    /// The creation event whose record the exhibit's catalog rows were put back to from this file's
    /// genuine bytes (someone had changed them); nil when they needed no repair.
    public var repairedCatalog: Int64?
    /// The deletion undone: retention had deleted (or purged) the exhibit these bytes are, and storing
    /// them again brought it back (`Vault.reinstate`); nil when it was not deleted.
    public var restored: DeletionRegistry.Deletion?
}

extension Vault {
    /// Stores the file at `path` as an exhibit: one pass over the bytes computes the whole-file and
    /// the chunk SHA-256s while the next chunk is read and a writer thread stores the chunks; then
    /// libavformat probes it.
    /// The exhibit exists only once its chunks are durable and the catalog transaction has committed.
    ///
    /// - Parameters:
    ///   - expectedSHA256: when the caller knows the hash (a camera or dock sent it), a mismatch
    ///     stores nothing and throws an integrity error.
    ///   - progress: called after each chunk with (bytes done, total bytes).
    func storeFile(path: String, source: IngestSource, actor: Actor, chunkSize: Int = Vault.defaultChunkSize,
                   expectedSHA256: SHA256Digest? = nil,
                   progress: ((Int64, Int64) -> Void)? = nil) throws -> IngestResult {
        precondition(chunkSize > 0 && chunkSize <= Vault.maxChunkSize)
        let fd: Int32
        // Non-blocking, so a FIFO given as the file is refused below instead of waiting for a writer.
        do { fd = try FS.open(path, O_RDONLY | O_NONBLOCK) } catch {
            throw CustodyError.invalidInput(field: "file", "cannot read \(path): \(error)")
        }
        defer { close(fd) }
        var st = stat()
        try systemCall("fstat", path: path) { fstat(fd, &st) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw CustodyError.invalidInput(field: "file",
            "\(path) is not a regular file") }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let total = Int64(st.st_size)

        let (sha256, chunks, read) = try hashAndStore(fd: fd, path: path, total: total, chunkSize: chunkSize,
                                                      progress: progress)
        let repaired = try recordRepairs(from: path, actor: actor)
        try Self.checkUnchanged(fd: fd, path: path, opened: st, read: read)
        if let expectedSHA256, expectedSHA256 != sha256 {
            throw CustodyError.integrity("\(path) has SHA-256 \(sha256), not the expected \(expectedSHA256)")
        }
        let probe = MediaProbe.probe(path: path)
        try Self.checkUnchanged(fd: fd, path: path, opened: st, read: read)  // the probe opened it by name
        var result = try catalogue(sha256: sha256, total: total, chunkSize: chunkSize, chunks: chunks,
                                   probe: probe, source: source, actor: actor)
        result.repairedChunks = repaired
        return result
    }

    /// Chunks the store found damaged and replaced with the good bytes of `source`: recorded, since
    /// the damage is gone from the disk afterwards and `verify` will not see it.
    @discardableResult
    func recordRepairs(from source: String, actor: Actor) throws -> [SHA256Digest] {
        let repaired = store.takeRepaired()
        for digest in repaired { try record(.chunkRepaired(digest, from: source, actor: actor)) }
        return repaired
    }

    /// A recording still being written (a card reader, a dock copying it) or replaced meanwhile would
    /// become an exhibit whose size, hash and media details disagree: refused unless the file is still
    /// the one opened, with the size it had and the bytes read, and not modified since.
    static func checkUnchanged(fd: Int32, path: String, opened before: stat, read: Int64) throws {
        var now = stat()
        var named = stat()
        try systemCall("fstat", path: path) { fstat(fd, &now) }
        let same = stat(path, &named) == 0 && named.st_ino == before.st_ino && named.st_dev == before.st_dev
            && now.st_size == before.st_size && read == Int64(before.st_size)
            && now.st_mtim.tv_sec == before.st_mtim.tv_sec && now.st_mtim.tv_nsec == before.st_mtim.tv_nsec
        guard same else {
            throw CustodyError.invalidInput(field: "file",
                "\(path) changed while it was being read (\(before.st_size) bytes when opened, "
                                     + "\(now.st_size) now): nothing was catalogued; ingest it again once nothing "
                                     + "is writing to it")
        }
    }

    /// Records stored bytes as an exhibit (or, when the vault already holds them, as a duplicate) in
    /// one transaction with its ingest event. Every chunk must already be durable.
    /// `fromUpload`: a dock's upload, whose chunk size is fixed (see `repairCatalog`). `carried`: what the caller
    /// copied with `carryChunksAhead` before its own transaction; nil: done here, before this one.
    func catalogue(sha256: SHA256Digest, total: Int64, chunkSize: Int, chunks: [(SHA256Digest, Int)],
                   probe: MediaProbe.Result, source: IngestSource, actor: Actor,
                   fromUpload: Bool = false, carried: CarriedChunks? = nil) throws -> IngestResult {
        // `store migrate` switched stores since this vault opened: the chunks copied before the writer is taken.
        let carried = try carried ?? carryChunksAhead(chunks.map(\.0))
        return try db.transaction {
            try carryChunksIfMoved(chunks.map(\.0), carried: carried)
            if let repaired = try repairCatalog(sha256: sha256, total: total, chunkSize: chunkSize, chunks: chunks,
                                                source: source, actor: actor, refuseOtherChunks: !fromUpload) {
                return repaired
            }
            if let existing = try catalog.exhibit(sha256: sha256) {
                let deletion = try deletionRegistry.deletion(of: existing.id)
                if let deletion { try reinstate(existing, deleted: deletion, source: source, actor: actor) }
                var details = ["duplicate": "true", "filename": source.filename ?? "", "device": source.device]
                details.merge(Self.derivation(of: source)) { old, _ in old }
                try record(CustodyEvent(actor: actor, action: source.parentSHA256 == nil ? .ingest : .redact,
                                        exhibit: existing.id, objectSHA256: sha256.hex, reason: source.reason,
                                        details: details))
                var result = IngestResult(exhibit: existing, duplicate: true, notes: source.notes)
                result.restored = deletion
                return result
            }
            // A retention run purging an exhibit that shared a chunk removes it in its write transaction:
            // once this one holds the lock, every chunk it names must still be there.
            for chunk in chunks where try !store.exists(chunk.0) {
                throw CustodyError.failure("chunk \(chunk.0) was purged by a retention run while this was stored: "
                                           + "nothing was catalogued; store it again")
            }
            var exhibit = Exhibit(id: "", sha256: sha256, size: total, chunkSize: chunkSize, filename: source.filename,
                                  device: source.device, officer: source.officer ?? actor.id,
                                  capturedAt: source.capturedAt, ingestedAt: ingestTime(), status: .ok,
                                  unreadableReason: nil, media: nil, parentSHA256: source.parentSHA256,
                                  specSHA256: source.specSHA256, spec: source.spec)
            switch probe {
            case .readable(let info):
                exhibit.media = info
                if exhibit.capturedAt == nil { exhibit.capturedAt = info.creationTime.flatMap(Timestamp.normalize) }
            case .unreadable(let reason):
                exhibit.status = .unreadable
                exhibit.unreadableReason = reason
            }
            exhibit = try catalog.insert(exhibit, chunks: chunks, num: unusedExhibitNumber())
            // The exhibit's identity, anchored in the ledger: what verify, export and redact check the catalog against.
            var details = ["device": source.device, "size": String(total), "status": exhibit.status.rawValue,
                           "chunks_sha256": Self.chunkListDigest(chunks.map { ($0.0, $0.1) }).hex]
            if let name = source.filename { details["filename"] = name }
            details.merge(Self.derivation(of: source)) { old, _ in old }
            try record(CustodyEvent(actor: actor, action: source.parentSHA256 == nil ? .ingest : .redact,
                                    exhibit: exhibit.id, objectSHA256: sha256.hex, reason: source.reason,
                                    details: details))
            return IngestResult(exhibit: exhibit, duplicate: false, notes: source.notes)
        }
    }

    /// Now on the vault's clock, which retention decides on (its period starts no earlier than this).
    private func ingestTime() -> String { Timestamp.rfc3339(Date(timeIntervalSince1970: Double(clock.now()))) }

    /// The event details saying what a derived exhibit comes from (parent, spec) and the source's notes.
    private static func derivation(of source: IngestSource) -> [String: String] {
        var details = source.notes
        if let parent = source.parentSHA256 { details["parent_sha256"] = parent.hex }
        if let spec = source.specSHA256 { details["spec_sha256"] = spec.hex }
        return details
    }

    /// Reads `fd` chunk by chunk through a ring of buffers. For each chunk one core hashes it (both
    /// the chunk's and the file's SHA-256) while the other reads the next; a writer thread stores the
    /// chunks behind them (direct I/O, so it mostly waits for the disk, not the CPU). Returns the
    /// file's SHA-256, the chunk list (all chunks durable) and how many bytes were read.
    private func hashAndStore(fd: Int32, path: String, total: Int64, chunkSize: Int, progress: ((Int64, Int64) -> Void)?)
        throws -> (SHA256Digest, [(SHA256Digest, Int)], Int64) {
        let ring = 4  // one being hashed, one being read, two queued for the disk
        let slots = (0..<ring).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: FS.directAlignment)
        }
        let writer = BackgroundWriter(slots: ring)
        var synced = false
        defer {
            _ = try? writer.finish()  // no buffer is freed while the writer may still read it
            // Failed part-way: what was staged is synced or dropped, so the store's next writer (a pooled vault's
            // next ingest) does not inherit this one's failure.
            if !synced { _ = try? store.sync() }
            slots.forEach { $0.deallocate() }
        }
        // With the SHA extensions one core computes both hashes (`SHA256Pair`) and the other only
        // reads; without them each core takes one hash.
        let pair = SHA256Pair.isAccelerated && chunkSize % 64 == 0 ? SHA256Pair() : nil
        let whole = pair == nil ? SHA256() : nil
        var chunks = [(SHA256Digest, Int)]()
        var done: Int64 = 0
        writer.reserveSlot()
        var n = try FS.readFull(fd, slots[0], path: path)
        var i = 0
        while n > 0 {
            let bytes = UnsafeRawBufferPointer(rebasing: slots[i % ring][0..<n])
            let next = slots[(i + 1) % ring]
            let readMore = n == chunkSize  // a short read is the end of the file
            if readMore { writer.reserveSlot() }
            var digest = SHA256Digest(bytes: [UInt8](repeating: 0, count: 32))
            var nextCount = 0
            var readError: (any Error)?
            Parallel.both({
                if let pair {
                    pair.update(bytes)
                    digest = pair.finishPart()
                } else {
                    whole!.update(bytes)
                }
            }, {
                if pair == nil { digest = SHA256.hash(bytes) }
                if readMore {
                    do { nextCount = try FS.readFull(fd, next, path: path) } catch { readError = error }
                }
            })
            if let readError { throw CustodyError.failure("reading \(path) failed", cause: readError) }
            if let writeError = writer.error { throw Self.storageError(writeError, path: path) }
            writer.submit(bytes) { [store] in try store.put(digest, $0) }
            chunks.append((digest, n))
            done += Int64(n)
            progress?(done, total)
            n = readMore ? nextCount : 0
            i += 1
        }
        do {
            try writer.finish()
            synced = true
            try store.sync()
        } catch { throw Self.storageError(error, path: path) }
        return (pair?.finishWhole() ?? whole!.finalize(), chunks, done)
    }

    static func storageError(_ error: any Error, path: String) -> CustodyError {
        if let e = error as? SystemError, e.isDiskFull {
            return CustodyError.diskFull("the vault's disk is full while storing \(path): nothing was stored; "
                                         + "free space and retry")
        }
        return CustodyError.failure("storing \(path) failed", cause: error)
    }
}
