import CustodyCore
import Dispatch
import Foundation

/// A store opened on first use: a remote store is asked how its bucket is set up only by the commands that
/// read or write chunks, so the catalog and the ledger stay readable while it cannot be reached. A failed
/// open is thrown by the call that needed it, and by every call for `retryAfter` seconds; then it is tried
/// again. Thread-safe opening; the store it opens has its own rules (one writer).
public final class DeferredChunkStore: ChunkStore, @unchecked Sendable {
    private let opener: () throws -> any ChunkStore
    let lock = NSLock()
    private(set) var opened: (any ChunkStore)?
    /// The last failed open and when (monotonic seconds): thrown again without asking for `retryAfter` seconds,
    /// so a `verify` of many chunks with the store down does not pay every retry for each chunk.
    private var failed: (error: any Error, at: Double)?
    private let retryAfter: Double

    public init(retryAfter: Double = 30, _ open: @escaping () throws -> any ChunkStore) {
        opener = open
        self.retryAfter = retryAfter
    }

    /// The store, opened now if it was not.
    public func open() throws -> any ChunkStore {
        try lock.withLock {
            if let opened { return opened }
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if let failed, now - failed.at < retryAfter { throw failed.error }
            do {
                let store = try opener()
                opened = store
                return store
            } catch {
                failed = (error, now)
                throw error
            }
        }
    }

    public func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws { try open().put(digest, bytes) }
    public func sync() throws { try open().sync() }
    public func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try open().read(digest, into: buffer)
    }
    public func read(_ digest: SHA256Digest, range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        try open().read(digest, range: range, into: buffer)
    }
    public func exists(_ digest: SHA256Digest) throws -> Bool { try open().exists(digest) }
    public func list(after cursor: SHA256Digest?, limit: Int) throws -> [SHA256Digest] {
        try open().list(after: cursor, limit: limit)
    }
    public func delete(_ digest: SHA256Digest) throws { try open().delete(digest) }
    public func readChecked(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws
        -> UnsafeRawBufferPointer { try open().readChecked(digest, into: buffer) }
    public func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws { try open().adopt(files) }
    public func takeRepaired() -> [SHA256Digest] {
        lock.withLock { opened }?.takeRepaired() ?? []
    }
}

extension DeferredChunkStore: DatedChunkListing {
    /// The opened store's dated listing; an error when that store has none.
    public func listDated(after cursor: SHA256Digest?, limit: Int) throws -> [DatedChunk] {
        guard let store = try open() as? DatedChunkListing else {
            throw CustodyError.failure("this chunk store cannot say how old its chunks are")
        }
        return try store.listDated(after: cursor, limit: limit)
    }
}
