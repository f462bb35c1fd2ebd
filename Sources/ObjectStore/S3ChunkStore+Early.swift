import CustodyCore
import Foundation
import POSIX
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An upload's pieces PUT while the upload goes on (`storeEarly`), and its completion's `adopt` that sends only
/// the others. A chunk this process stored early (its PUT answered, or the object found holding exactly its
/// bytes) is not sent again by `adopt`, which would pay a 412 and a GET to read it back: the check of objects
/// found present from elsewhere is the same as ever, in `upload`.
extension S3ChunkStore: EarlyChunkStore {
    public func storeEarly(_ digest: SHA256Digest, _ bytes: [UInt8]) throws -> EarlyOutcome {
        let repaired = try upload(digest, bytes)
        StoredEarly.shared.insert(earlyKey(digest))
        return repaired ? .repaired : .stored
    }

    public func forgetEarly(_ digest: SHA256Digest) { StoredEarly.shared.take(earlyKey(digest)) }

    /// The chunks stored early by this process and still in the bucket (a HEAD each, in parallel: one deleted
    /// outside custody meanwhile is sent again) are taken as they are (their files removed, after the others'
    /// `sync`); the others are copied (`adoptByCopy`). A chunk stored early that was found damaged and written
    /// again is not named by `takeRepaired`: its upload recorded it (`storeEarly` said so).
    public func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws {
        let early = files.filter { FS.exists($0.path) && StoredEarly.shared.contains(earlyKey($0.digest)) }
        let present = try exist(early.map(\.digest))
        let kept = zip(early, present).filter(\.1).map(\.0)
        let keptPaths = Set(kept.map(\.path))
        try adoptByCopy(files.filter { !keptPaths.contains($0.path) })
        for (path, _) in kept { unlink(path) }
        for (_, digest) in early { StoredEarly.shared.take(earlyKey(digest)) }
    }

    /// Whether the bucket holds each of `digests`: their HEADs, up to 8 at a time (`Lanes`).
    func exist(_ digests: [SHA256Digest]) throws -> [Bool] {
        guard !digests.isEmpty else { return [] }
        var answers = [Result<Bool, any Error>](repeating: .success(false), count: digests.count)
        let lanes = min(8, digests.count)
        answers.withUnsafeMutableBufferPointer { buffer in
            let slots = Unchecked(value: buffer)  // each lane writes its own indices
            Lanes.run(lanes) { lane in
                for index in stride(from: lane, to: digests.count, by: lanes) {
                    slots.value[index] = Result { try self.exists(digests[index]) }
                }
            }
        }
        return try answers.map { try $0.get() }
    }

    /// A chunk's name in `StoredEarly`: the store's location (endpoint, bucket, prefix) and the digest; every vault
    /// of a process opens its bucket from the same location text.
    func earlyKey(_ digest: SHA256Digest) -> String { "\(client.location)#\(digest.hex)" }
}

/// The chunks this process stored early and has not adopted yet, in every store it opened: the service opens
/// the bucket once per vault it keeps, and one request of an upload may store a piece through one of them while
/// its completion adopts it through another. Bounded: past `limit` names the oldest are forgotten (their
/// chunks are then sent again by `adopt` and checked as any other).
final class StoredEarly: @unchecked Sendable {
    static let shared = StoredEarly()
    /// About 256 GiB of 4 MiB pieces stored early and not yet adopted.
    static let limit = 65_536
    private let lock = NSLock()
    /// Each name with its turn of insertion (the oldest go first at the limit).
    private var stored: [String: Int] = [:]
    private var turn = 0

    func insert(_ key: String) {
        lock.withLock {
            turn += 1
            stored[key] = stored[key] ?? turn
            guard stored.count > Self.limit else { return }
            let kept = stored.sorted { $0.value < $1.value }.suffix(Self.limit / 2)
            stored = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
    }

    func contains(_ key: String) -> Bool { lock.withLock { stored[key] != nil } }

    /// Forgets the name.
    func take(_ key: String) { lock.withLock { stored[key] = nil } }
}
