import CustodyCore

/// A store whose writes each cost a round trip over the network (a bucket): an upload hands it each piece
/// as soon as the piece is full and durable on disk, in the background while the rest arrives, so that
/// the completion's `adopt` finds most chunks stored already instead of sending them all after the last
/// byte. The file store, which adopts by rename, does not implement it.
public protocol EarlyChunkStore: ChunkStore {
    /// Stores the chunk durably now, on the caller's thread and apart from the staged `put`s and `sync`
    /// of the store's writer (it may run beside them). Once it returns `stored` or `repaired` the chunk is
    /// durable: a later `adopt` of it by this process need not send it again. `repaired`: the object held other
    /// bytes and was written again, for the caller to record (a later `adopt` does not name it in
    /// `takeRepaired`). `notStored` when the store gains nothing from it and did nothing. The caller guarantees
    /// `digest` is the SHA-256 of `bytes`.
    func storeEarly(_ digest: SHA256Digest, _ bytes: [UInt8]) throws -> EarlyOutcome
    /// Forgets that the chunk was stored early (its upload ended without completing): nothing protects it from
    /// deletion now, so a later `adopt` of it must send it again.
    func forgetEarly(_ digest: SHA256Digest)
}

/// What `storeEarly` did with a chunk.
public enum EarlyOutcome: Sendable, Equatable {
    case notStored, stored, repaired
}

extension DeferredChunkStore: EarlyChunkStore {
    /// The opened store's, when it has one; `notStored` otherwise.
    public func storeEarly(_ digest: SHA256Digest, _ bytes: [UInt8]) throws -> EarlyOutcome {
        guard let store = try open() as? EarlyChunkStore else { return .notStored }
        return try store.storeEarly(digest, bytes)
    }

    public func forgetEarly(_ digest: SHA256Digest) {
        (lock.withLock { opened } as? EarlyChunkStore)?.forgetEarly(digest)
    }
}
