import CustodyCore
import SQLite

/// A checkpoint as stored in the `checkpoints` table: numbered from 1 with no gaps, sizes increasing.
public struct StoredCheckpoint: Sendable {
    public let number: Int64
    public let createdAt: String
    public let note: String
    public let size: UInt64
}

extension EventLog {
    /// Signs and stores a checkpoint of the whole log unless the newest one already covers it, and
    /// returns the newest. Runs in one write transaction, so concurrent writers never sign two
    /// checkpoints of the same size.
    @discardableResult
    public func checkpoint(signer: NoteSigner) throws -> StoredCheckpoint? { try checkpoint(signing: { signer }) }

    /// `checkpoint(signer:)` with the signer asked for inside the write transaction, and only when there
    /// is something to sign: a key rotation, which replaces the key under the same lock, can never be
    /// followed by a checkpoint signed with the key it retired.
    @discardableResult
    public func checkpoint(signing signer: () throws -> NoteSigner) throws -> StoredCheckpoint? {
        try db.transaction {
            let size = try size()
            if let latest = try latestCheckpoint(), latest.size >= size { return latest }
            guard size > 0 else { return nil }
            let cp = try Checkpoint.sign(size: size, root: try root(size: size), signer: signer())
            let number = (try latestCheckpoint()?.number ?? 0) + 1
            let stored = StoredCheckpoint(number: number, createdAt: Timestamp.rfc3339(), note: cp.note, size: size)
            try db.query("INSERT INTO checkpoints (num, size, created_at, note) VALUES (?, ?, ?, ?)",
                         [.integer(number), .integer(Int64(size)), .text(stored.createdAt), .text(cp.note)])
            return stored
        }
    }

    public func latestCheckpoint() throws -> StoredCheckpoint? {
        try db.query("SELECT num, created_at, note, size FROM checkpoints ORDER BY num DESC LIMIT 1").first
            .map(Self.decodeCheckpoint)
    }

    /// The stored checkpoint of exactly `size` events, if there is one (`size` is unique: one lookup).
    public func checkpoint(size: UInt64) throws -> StoredCheckpoint? {
        guard size <= UInt64(Int64.max) else { return nil }
        return try db.query("SELECT num, created_at, note, size FROM checkpoints WHERE size = ?",
                            [.integer(Int64(size))]).first.map(Self.decodeCheckpoint)
    }

    /// Every stored checkpoint, oldest first.
    public func checkpoints() throws -> [StoredCheckpoint] {
        try db.query("SELECT num, created_at, note, size FROM checkpoints ORDER BY num").map(Self.decodeCheckpoint)
    }

    static func decodeCheckpoint(_ row: Row) throws -> StoredCheckpoint {
        guard let num = row.int(0), let created = row.text(1), let note = row.text(2), let size = row.int(3),
              size >= 0 else {
            throw CustodyError.integrity("checkpoint row \(row.int(0).map(String.init) ?? "?") is malformed")
        }
        return StoredCheckpoint(number: num, createdAt: created, note: note, size: UInt64(size))
    }
}
