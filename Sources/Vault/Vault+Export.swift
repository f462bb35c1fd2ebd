import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger
import POSIX
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Vault {
    /// Writes the original bytes of `exhibit` to `out`, checking every chunk's hash as it reads and the
    /// whole file's hash at the end against the SHA-256 its creation event recorded in the ledger.
    /// Never replaces anything at `out`, nor writes inside the data directory. A refused export
    /// (including an exhibit whose catalog row disagrees with the ledger) is recorded as refused;
    /// otherwise the custody event is written before the first byte, and a damaged chunk stops the
    /// export, records a failed event and leaves nothing at `out`.
    public func export(_ exhibit: Exhibit, to out: String, actor: Actor, reason: String,
                       progress: ((Int64, Int64) -> Void)? = nil) throws {
        let destination = URL(fileURLWithPath: out).standardizedFileURL.path
        try authorize(actor, to: .exportExhibit, exhibit: exhibit)
        func event(_ outcome: CustodyEvent.Outcome, _ why: String) -> CustodyEvent {
            CustodyEvent(actor: actor, action: .export, exhibit: exhibit.id, objectSHA256: exhibit.sha256.hex,
                         outcome: outcome, reason: why, details: ["destination": destination])
        }
        let anchored: AnchoredExhibit
        let temp: (fd: Int32, path: String)
        do {
            anchored = try self.anchored(exhibit)
            temp = try openExportTemporary(for: destination)
        } catch let e as CustodyError {
            _ = try? record(event(.refused, e.message))
            throw e
        }
        defer {
            close(temp.fd)
            unlink(temp.path)  // after a hard link to `out`, only this second name goes
        }
        try record(event(.ok, reason))
        do {
            try writeVerified(anchored, fd: temp.fd, temp: temp.path, to: destination, progress: progress)
        } catch {
            let message = (error as? CustodyError)?.message ?? String(describing: error)
            _ = try? record(event(.failed, message))
            throw error
        }
    }

    /// The temporary file an export is written into, next to `out`; refuses an `out` that exists
    /// (a dangling symlink included) or lies inside the data directory.
    private func openExportTemporary(for out: String) throws -> (fd: Int32, path: String) {
        if FS.entryExists(out) {
            throw CustodyError.conflict(.file, "\(out) already exists: custody never overwrites a file")
        }
        let dir = (out as NSString).deletingLastPathComponent
        guard let folder = FS.realPath(dir.isEmpty ? "." : dir) else {
            throw CustodyError.invalidInput(field: "out", "cannot write \(out): its folder \(dir) does not exist")
        }
        if let root = FS.realPath(directory.root), folder == root || folder.hasPrefix(root + "/") {
            throw CustodyError.invalidInput(field: "out",
                                            "\(out) is inside the data directory \(directory.root): export outside it")
        }
        let temp = "\(folder)/.\((out as NSString).lastPathComponent).custody-partial-\(getpid())"
        do { return (try FS.open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o640), temp) } catch {
            throw CustodyError.invalidInput(field: "out", "cannot write next to \(out): \(error)")
        }
    }

    private func writeVerified(_ exhibit: AnchoredExhibit, fd: Int32, temp: String, to out: String,
                               progress: ((Int64, Int64) -> Void)?) throws {
        let dir = (temp as NSString).deletingLastPathComponent
        var done: Int64 = 0
        try readVerified(exhibit) { bytes in
            do { try FS.writeAll(fd, bytes, path: temp) } catch {
                if let e = error as? SystemError, e.isDiskFull {
                    throw CustodyError.diskFull("the disk holding \(out) is full: nothing was exported")
                }
                throw CustodyError.failure("writing \(out) failed", cause: error)
            }
            done += Int64(bytes.count)
            progress?(done, exhibit.size)
        }
        try FS.fsync(fd, path: temp)
        try Self.placeWithoutReplacing(temp, at: out)
        do { try FS.fsyncDirectory(dir) } catch {
            unlink(out)  // its name may not survive a crash: nothing is left, as the failed event says
            throw CustodyError.failure("writing \(out) failed", cause: error)
        }
    }

    /// Gives the finished file its name only if nothing took that name meanwhile (another export, a
    /// file someone made): a hard link fails rather than replace. Filesystems without hard links
    /// (FAT, exFAT memory sticks, some FUSE mounts) get a rename after one more check.
    public static func placeWithoutReplacing(_ temp: String, at out: String) throws {
        if link(temp, out) == 0 { return }
        let code = errno
        if code == EEXIST {
            throw CustodyError.conflict(.file, "\(out) appeared while exporting: custody never overwrites a file; "
                                        + "nothing was written there")
        }
        guard [EPERM, ENOTSUP, EOPNOTSUPP, EMLINK, ENOSYS].contains(code) else {
            throw CustodyError.failure("cannot name the exported file \(out)",
                                       cause: SystemError(call: "link", path: out, errno: code))
        }
        if FS.entryExists(out) {
            throw CustodyError.conflict(.file, "\(out) appeared while exporting: custody never overwrites a file")
        }
        try FS.rename(temp, out)
    }

    /// Streams the original bytes of `exhibit` to `body` chunk by chunk, each checked against its
    /// name before it is handed over, and the whole-file SHA-256 checked at the end against the one
    /// its creation event recorded in the ledger. Throws an integrity error naming the exhibit (and
    /// chunk) when the catalog disagrees with the ledger or any byte does not match.
    public func readVerified(_ exhibit: Exhibit, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try readVerified(anchored(exhibit), body)
    }

    /// One core reads chunk i+1 and checks it (its SHA-256 and the whole file's in one pass,
    /// `SHA256Pair`) while the other hands chunk i to `body`, which therefore may run on another
    /// thread than the caller's (never at the same time as the caller or itself). `body` only ever
    /// gets bytes already checked against their chunk's name.
    public func readVerified(_ anchored: AnchoredExhibit, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let exhibit = anchored.exhibit
        let chunks = anchored.chunks
        let capacity = max(exhibit.chunkSize, chunks.map(\.size).max() ?? 0, 1)
        let buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 4096) }
        defer { buffers.forEach { $0.deallocate() } }
        // Both hashes in one pass need every chunk but the last to be whole SHA-256 blocks.
        let hashes = SHA256Pair(accelerated: SHA256Pair.isAccelerated
                                && chunks.dropLast().allSatisfy { $0.size % 64 == 0 })
        func checked(_ i: Int) -> Result<UnsafeRawBufferPointer, any Error> {
            Result {
                try readChunk(chunks[i].digest, size: chunks[i].size, index: i, of: "exhibit \(exhibit.id)",
                              into: buffers[i % 2], hashes: hashes)
            }
        }
        var next = chunks.isEmpty ? nil : checked(0)
        for i in chunks.indices {
            let current = try next!.get()
            var failure: (any Error)?
            Parallel.both({
                do { try body(current) } catch { failure = error }
            }, {
                next = i + 1 < chunks.count ? checked(i + 1) : nil
            })
            if let failure { throw failure }
        }
        let total = chunks.reduce(0) { $0 + Int64($1.size) }
        let digest = hashes.finishWhole()
        guard total == anchored.size, digest == anchored.sha256 else {
            throw CustodyError.integrity("exhibit \(exhibit.id) reassembles to SHA-256 \(digest) (\(total) bytes), "
                                         + "not the \(anchored.sha256) (\(anchored.size) bytes) its "
                                         + "\(anchored.creation.action.rawValue) event recorded")
        }
    }

    /// Reads chunk `index` and checks its length and hash, fed to `hashes` (the chunk's SHA-256 and
    /// the whole file's at once). A chunk that fails is not fed: the read stops there.
    private func readChunk(_ digest: SHA256Digest, size: Int, index: Int, of owner: String,
                           into buffer: UnsafeMutableRawBufferPointer, hashes: SHA256Pair) throws
        -> UnsafeRawBufferPointer {
        let n: Int
        do { n = try store.read(digest, into: buffer) } catch let e as ChunkStoreError {
            throw CustodyError.integrity(Self.damage(owner, index, digest, "\(e)"))
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        guard n == size else {
            let actual = SHA256.hash(bytes)
            throw CustodyError.integrity(Self.damage(owner, index, digest,
                                                     "it now hashes to \(actual) (\(n) bytes, expected \(size))"))
        }
        hashes.update(bytes)
        let actual = hashes.finishPart()
        guard actual == digest else {
            throw CustodyError.integrity(Self.damage(owner, index, digest,
                                                     "it now hashes to \(actual) (\(n) bytes, expected \(size))"))
        }
        return bytes
    }

    /// Reads chunk `index` of `exhibit` and checks its length and hash.
    /// `owner` names what the chunk belongs to in errors, e.g. "exhibit EX-000001".
    func readChunk(_ digest: SHA256Digest, size: Int, index: Int, of owner: String,
                   into buffer: UnsafeMutableRawBufferPointer) throws -> UnsafeRawBufferPointer {
        try Self.readChunk(digest, size: size, index: index, of: owner, from: store, into: buffer)
    }

    /// The same from any chunk store (a remote worker's view of the shared one). `ifMissing`: what a chunk the
    /// store does not hold is (by default the damage of `owner`).
    static func readChunk(_ digest: SHA256Digest, size: Int, index: Int, of owner: String, from store: any ChunkStore,
                          into buffer: UnsafeMutableRawBufferPointer, ifMissing: (() -> CustodyError)? = nil) throws
        -> UnsafeRawBufferPointer {
        func damaged(_ actual: SHA256Digest, _ n: Int) -> CustodyError {
            .integrity(Self.damage(owner, index, digest, "it now hashes to \(actual) (\(n) bytes, expected \(size))"))
        }
        let bytes: UnsafeRawBufferPointer
        do { bytes = try store.readChecked(digest, into: buffer) } catch ChunkStoreError.damaged(_, let actual, let n) {
            throw damaged(actual, n)
        } catch ChunkStoreError.missing where ifMissing != nil {
            throw ifMissing!()
        } catch let e as ChunkStoreError {
            throw CustodyError.integrity(Self.damage(owner, index, digest, "\(e)"))
        }
        guard bytes.count == size else { throw damaged(digest, bytes.count) }
        return bytes
    }

    /// How a damaged chunk is reported: "exhibit EX-000001 chunk 3 (<sha256>) is damaged: <problem>".
    static func damage(_ owner: String, _ index: Int, _ digest: SHA256Digest, _ problem: String) -> String {
        "\(owner) chunk \(index) (\(digest)) is damaged: \(problem)"
    }
}
