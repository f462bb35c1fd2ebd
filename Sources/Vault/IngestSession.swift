import CustodyCore
import Crypto
import Foundation
import Media

/// Ingest done as the bytes arrive rather than from a finished file: the whole-file SHA-256 and the
/// content-addressed chunks are made while an upload is received, so completing it costs a probe and
/// one transaction instead of re-reading the recording. Bytes must be fed in order, once.
/// Not thread-safe: one request feeds it at a time (the upload's lock).
public final class IngestSession {
    public let chunkSize: Int
    /// Bytes fed so far.
    public private(set) var received: Int64 = 0
    private let store: FileChunkStore
    private let whole = SHA256()
    private var chunks = [(SHA256Digest, Int)]()
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0

    /// A session storing chunks under `directory` (its own store handle: staged chunks belong to it).
    public init(directory: DataDirectory, chunkSize: Int = Vault.defaultChunkSize) throws {
        precondition(chunkSize > 0 && chunkSize <= Vault.maxChunkSize)
        self.chunkSize = chunkSize
        store = try FileChunkStore(root: directory.chunks)
        buffer = .allocate(byteCount: chunkSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        whole.update(bytes)
        received += Int64(bytes.count)
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, chunkSize - filled)
            UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            filled += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if filled == chunkSize { try flushChunk() }
        }
    }

    /// Feeds the first `count` bytes of the file at `path`: how a session is rebuilt after a restart.
    public func feed(file path: String, count: Int64) throws {
        let fd = try FS.open(path, O_RDONLY)
        defer { close(fd) }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { block.deallocate() }
        var left = count
        while left > 0 {
            let n = try FS.readFull(fd, UnsafeMutableRawBufferPointer(rebasing: block[0..<Int(min(left, 1 << 20))]),
                                    path: path)
            guard n > 0 else { throw CustodyError.integrity("\(path) is shorter than the \(count) bytes received") }
            try feed(UnsafeRawBufferPointer(rebasing: block[0..<n]))
            left -= Int64(n)
        }
    }

    private func flushChunk() throws {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
        let digest = SHA256.hash(bytes)
        do { try store.put(digest, bytes) } catch { throw Vault.storageError(error, path: "an upload") }
        chunks.append((digest, filled))
        filled = 0
    }

    /// Stores the last, short chunk, makes every chunk durable and returns the whole file's SHA-256
    /// and the chunk list. The session is spent afterwards.
    func finish() throws -> (SHA256Digest, [(SHA256Digest, Int)]) {
        if filled > 0 { try flushChunk() }
        do { try store.sync() } catch { throw Vault.storageError(error, path: "an upload") }
        return (whole.finalize(), chunks)
    }
}

extension Vault {
    /// Ingests what `session` received; `path` holds the same bytes, for the media probe only.
    public func ingest(received session: IngestSession, path: String, source: IngestSource, actor: Actor,
                       expectedSHA256: SHA256Digest? = nil) throws -> IngestResult {
        let (sha256, chunks) = try session.finish()
        if let expectedSHA256, expectedSHA256 != sha256 {
            throw CustodyError.integrity("the upload has SHA-256 \(sha256), not the expected \(expectedSHA256)")
        }
        return try catalogue(sha256: sha256, total: session.received, chunkSize: session.chunkSize, chunks: chunks,
                             probe: MediaProbe.probe(path: path), source: source, actor: actor)
    }
}
