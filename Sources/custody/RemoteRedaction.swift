import CustodyCore
import Crypto
import Foundation
import Media
import MediaModel
import POSIX
import Storage
import Transfer
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One leased redaction made on a remote worker's machine: the parent's chunks are read straight from
/// the shared store (each checked against its name and size as it is loaded), the redaction engine
/// writes the clip into a private folder under the worker's scratch folder, and the clip is cut into
/// chunks that are `put` and `sync`ed into the store before the report (their list, the whole file's
/// SHA-256) is made. The primary trusts none of it: it reads the clip back from the store.
struct RemoteRedaction {
    let assignment: RedactionAssignment
    let store: any ChunkStore
    /// The worker's scratch folder (`--scratch`); this redaction's folder in it is removed at the end.
    let scratch: String

    func run(isCancelled: @escaping () -> Bool) throws -> RedactionReport {
        let a = assignment
        let spec: RedactionSpec
        do { spec = try RedactionSpec.parse(a.spec, bounds: a.bounds) } catch let e as RedactionSpecError {
            throw CustodyError.invalidInput(field: "spec", "the redaction spec of \(a.parent) is invalid: \(e)")
        }
        let work = scratch + "/" + Scratch.name("-redact")
        do { try FS.mkdir(work, 0o700) } catch { throw CustodyError.failure("cannot create \(work)", cause: error) }
        defer { try? FileManager.default.removeItem(atPath: work) }
        let output = work + "/redacted.mp4"
        let source = ExhibitSource(store: store, chunks: a.chunks, chunkSize: a.chunkSize, label: a.parent,
                                   owner: "exhibit \(a.parent)")
        let made = try Redactor.redact(source: source, output: output, spec: spec, progress: { fraction in
            if fraction > 0 { TransferTestHook.reached("redacting", isCancelled: isCancelled) }
        }, isCancelled: isCancelled)
        if isCancelled() { throw RedactionError.cancelled }
        var report = try storeChunks(of: output)
        report.damagedPackets = made.damagedPackets
        report.droppedStreams = made.droppedStreams
        return report
    }

    /// Cuts the file at `path` into chunks of the standard size, stores each under its SHA-256 and makes
    /// them durable; returns the report of the whole.
    private func storeChunks(of path: String) throws -> RedactionReport {
        let fd = try FS.open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let chunkSize = ChunkSize.standard
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: FS.directAlignment)
        defer { buffer.deallocate() }
        let whole = SHA256()
        var chunks = [(digest: SHA256Digest, size: Int)]()
        var total: Int64 = 0
        while true {
            let n = try FS.readFull(fd, buffer, path: path)
            guard n > 0 else { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            whole.update(bytes)
            let digest = SHA256.hash(bytes)
            do { try store.put(digest, bytes) } catch {
                throw CustodyError.failure("cannot write chunk \(digest) to the shared store", cause: error)
            }
            chunks.append((digest, n))
            total += Int64(n)
            if n < chunkSize { break }
        }
        do { try store.sync() } catch { throw CustodyError.failure("cannot sync the shared store", cause: error) }
        return RedactionReport(sha256: whole.finalize(), size: total, chunkSize: chunkSize, chunks: chunks)
    }
}
