import CustodyCore
import Crypto
import Foundation
import Storage

/// A `ChunkStore` in memory: the second implementation the conformance suite runs on, with nothing
/// of a filesystem about it. Staged chunks become visible at `sync`, as in the file store. With
/// `worm`, it keeps every chunk it holds, as a bucket with Object Lock does, and refuses `delete`.
/// Thread-safe.
public final class MemoryChunkStore: ChunkStore, @unchecked Sendable {
    public let worm: Bool
    private let lock = NSLock()
    private var durable: [SHA256Digest: [UInt8]] = [:]
    private var staged: [SHA256Digest: [UInt8]] = [:]

    public init(worm: Bool = false) {
        self.worm = worm
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws {
        precondition(SHA256.hash(bytes) == digest, "put of bytes that are not named \(digest)")
        locked {
            guard durable[digest] == nil, staged[digest] == nil else { return }
            staged[digest] = Array(bytes)
        }
    }

    public func sync() throws {
        locked {
            durable.merge(staged) { old, _ in old }
            staged.removeAll()
        }
    }

    private func stored(_ digest: SHA256Digest) throws -> [UInt8] {
        guard let bytes = locked({ durable[digest] }) else { throw ChunkStoreError.missing(digest) }
        return bytes
    }

    public func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let bytes = try stored(digest)
        guard bytes.count <= buffer.count else { throw ChunkStoreError.tooLarge(digest, bytes.count) }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return bytes.count
    }

    public func read(_ digest: SHA256Digest, range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(buffer.count >= range.count, "the buffer holds \(buffer.count) bytes, not \(range.count)")
        let bytes = try stored(digest)
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw ChunkStoreError.outOfRange(digest, range, size: bytes.count)
        }
        bytes[range].withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    public func exists(_ digest: SHA256Digest) throws -> Bool {
        locked { durable[digest] != nil }
    }

    public func list(after cursor: SHA256Digest?, limit: Int) throws -> [SHA256Digest] {
        precondition(limit > 0, "a page holds at least one name")
        return Array(locked { durable.keys }.filter { cursor == nil || $0 > cursor! }.sorted().prefix(limit))
    }

    public func delete(_ digest: SHA256Digest) throws {
        try locked {
            guard durable[digest] != nil else { return }
            if worm { throw ChunkStoreError.deletionRefused(digest, reason: "the store is write once, read many") }
            durable[digest] = nil
        }
    }

    /// Replaces a stored chunk's bytes behind the store's back, as tampering would (for tests).
    public func overwrite(_ digest: SHA256Digest, with bytes: [UInt8]) {
        locked { durable[digest] = bytes }
    }
}
