import CustodyCore
import Foundation

/// A store opened on first use: a remote store is asked how its bucket is set up only by the commands that
/// read or write chunks, so the catalog and the ledger stay readable while it cannot be reached. A failed
/// open is thrown by the call that needed it and tried again by the next one. Thread-safe opening; the
/// store it opens has its own rules (one writer).
public final class DeferredChunkStore: ChunkStore, @unchecked Sendable {
    private let opener: () throws -> any ChunkStore
    private let lock = NSLock()
    private var opened: (any ChunkStore)?

    public init(_ open: @escaping () throws -> any ChunkStore) { opener = open }

    /// The store, opened now if it was not.
    public func open() throws -> any ChunkStore {
        try lock.withLock {
            if let opened { return opened }
            let store = try opener()
            opened = store
            return store
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
