import CustodyCore
import SQLite

/// Court bundles and the transfer jobs that make them: one row per bundle (the job and its result
/// share the ID), one row per clip it sends. SQL only: the use cases of `Vault` authorize and record
/// every change (`Vault+Bundles.swift`, `Vault+Downloads.swift`). Job leases are in
/// `BundleRegistry+Jobs.swift`, downloads in `BundleRegistry+Downloads.swift`.
public final class BundleRegistry {
    /// Where a job is: waiting (for its first try or the next one), leased by a worker, finished
    /// (its ZIP published), or given up after its last attempt.
    public enum State: String, Sendable, CaseIterable {
        case queued, running, done, failed
    }

    /// One bundle, as its row holds it.
    public struct Bundle: Sendable, Equatable {
        public let id: String
        public let caseRef: String
        public let recipient: String
        public let createdBy: String
        public let createdAt: String
        /// How long the link lives once the bundle is built, in seconds.
        public let expiresIn: Int64
        public let maxDownloads: Int64?
        public var state: State
        public var attempts: Int64
        public var leaseOwner: String?
        /// Unix seconds; a running job whose lease has passed may be leased again.
        public var leaseUntil: Int64?
        /// Unix seconds before which a queued job is not tried (backoff after a failed attempt).
        public var nextTryAt: Int64
        public var error: String?
        /// What the worker is doing (`redacting EX-000004`, `writing`), and how far (0...1).
        public var step: String?
        public var progress: Double?
        /// Set when built: the ZIP's size and SHA-256, when, the checkpoint size it proves against,
        /// and when its link expires (RFC 3339).
        public var size: Int64?
        public var sha256: String?
        public var builtAt: String?
        public var checkpointSize: Int64?
        public var expiresAt: String?
        /// Completed downloads (responses that sent the file's last byte).
        public var downloads: Int64
        public var revokedAt: String?
        public var revokedBy: String?
        public var revokeReason: String?
        /// When the sweeper removed the ZIP (expired); the row and the events stay.
        public var removedAt: String?
    }

    /// One clip of a bundle: the exhibit asked for, the redaction spec to apply (nil: sent as is),
    /// and, once made, the derived exhibit the spec produced.
    public struct Item: Sendable, Equatable {
        public let index: Int
        public let exhibit: String
        public let spec: [UInt8]?
        public var derived: String?

        public init(index: Int, exhibit: String, spec: [UInt8]?, derived: String? = nil) {
            self.index = index
            self.exhibit = exhibit
            self.spec = spec
            self.derived = derived
        }

        /// The exhibit whose bytes go into the bundle: the derived one when there is a spec.
        public var sent: String? { spec == nil ? exhibit : derived }
    }

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE bundles (
                num INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                case_ref TEXT NOT NULL,
                recipient TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                expires_in INTEGER NOT NULL,
                max_downloads INTEGER,
                state TEXT NOT NULL DEFAULT 'queued',
                attempts INTEGER NOT NULL DEFAULT 0,
                lease_owner TEXT,
                lease_until INTEGER,
                next_try_at INTEGER NOT NULL DEFAULT 0,
                error TEXT,
                step TEXT,
                progress REAL,
                size INTEGER,
                sha256 TEXT,
                built_at TEXT,
                checkpoint_size INTEGER,
                expires_at TEXT,
                downloads INTEGER NOT NULL DEFAULT 0,
                revoked_at TEXT,
                revoked_by TEXT,
                revoke_reason TEXT,
                removed_at TEXT
            );
            CREATE INDEX bundles_waiting ON bundles(state, next_try_at);
            CREATE TABLE bundle_items (
                bundle_num INTEGER NOT NULL REFERENCES bundles(num),
                idx INTEGER NOT NULL,
                exhibit TEXT NOT NULL,
                spec BLOB,
                derived TEXT,
                PRIMARY KEY (bundle_num, idx)
            );
            """),
        // Bytes sent (or being sent) to a link's recipient: bounded by max_downloads x size (`reserveBytes`).
        Migration(2, "ALTER TABLE bundles ADD COLUMN bytes_served INTEGER NOT NULL DEFAULT 0"),
        // A remote worker's lease on one redaction (`BundleRegistry+Redactions.swift`).
        Migration(3, """
            ALTER TABLE bundle_items ADD COLUMN lease_id TEXT;
            ALTER TABLE bundle_items ADD COLUMN lease_owner TEXT;
            ALTER TABLE bundle_items ADD COLUMN lease_until INTEGER;
            ALTER TABLE bundle_items ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
            CREATE UNIQUE INDEX bundle_items_lease ON bundle_items(lease_id);
            """),
    ]

    public init(db: Database) throws {
        self.db = db
        try db.migrate("bundles", Self.migrations)
    }

    /// Queues a job for a new bundle and returns its ID (`BN-` numbered after every bundle so far).
    /// Runs in the caller's transaction, which records it.
    public func insert(caseRef: String, recipient: String, createdBy: String, expiresIn: Int64,
                       maxDownloads: Int64?, items: [Item], now: String) throws -> String {
        let next = (try db.query("SELECT COALESCE(MAX(num), 0) + 1 FROM bundles").first?.int(0)) ?? 1
        let id = BundleID.make(number: next)
        try db.query("""
            INSERT INTO bundles (num, id, case_ref, recipient, created_by, created_at, expires_in, max_downloads)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.integer(next), .text(id), .text(caseRef), .text(recipient), .text(createdBy), .text(now),
                  .integer(expiresIn), maxDownloads.map { .integer($0) } ?? .null])
        for item in items {
            try db.query("INSERT INTO bundle_items (bundle_num, idx, exhibit, spec, derived) VALUES (?, ?, ?, ?, ?)",
                         [.integer(next), .integer(Int64(item.index)), .text(item.exhibit),
                          item.spec.map { .blob($0) } ?? .null, .optional(item.derived)])
        }
        return id
    }

    /// The bundle `id` names (letter case aside), or nil.
    public func find(_ id: String) throws -> Bundle? {
        try db.query("SELECT \(Self.columns) FROM bundles WHERE id = ? COLLATE NOCASE", [.text(id)])
            .first.map(Self.decode)
    }

    /// The bundle `id` names, or `notFound(.bundle)`.
    public func get(_ id: String) throws -> Bundle {
        guard let found = try find(id) else { throw CustodyError.notFound(.bundle, "no bundle \(id)") }
        return found
    }

    /// Every bundle, newest first; of one case only when `caseRef` is given.
    public func all(caseRef: String? = nil) throws -> [Bundle] {
        if let caseRef {
            return try db.query("SELECT \(Self.columns) FROM bundles WHERE case_ref = ? COLLATE NOCASE "
                                + "ORDER BY num DESC", [.text(caseRef)]).map(Self.decode)
        }
        return try db.query("SELECT \(Self.columns) FROM bundles ORDER BY num DESC").map(Self.decode)
    }

    /// The clips of a bundle, in order.
    public func items(of id: String) throws -> [Item] {
        try db.query("""
            SELECT i.idx, i.exhibit, i.spec, i.derived FROM bundle_items i JOIN bundles b ON b.num = i.bundle_num
            WHERE b.id = ? ORDER BY i.idx
            """, [.text(id)]).map { row in
            Item(index: Int(row.int(0) ?? 0), exhibit: row.text(1) ?? "", spec: row.blob(2), derived: row.text(3))
        }
    }

    /// Marks the job done and its bundle built: the ZIP is at its place in `bundles/` already.
    /// Runs in the caller's transaction, which records it.
    public func markBuilt(_ id: String, size: Int64, sha256: String, checkpointSize: Int64, builtAt: String,
                          expiresAt: String) throws {
        try db.query("""
            UPDATE bundles SET state = 'done', size = ?, sha256 = ?, checkpoint_size = ?, built_at = ?, expires_at = ?,
            lease_owner = NULL, lease_until = NULL, error = NULL, step = NULL, progress = 1 WHERE id = ?
            """, [.integer(size), .text(sha256), .integer(checkpointSize), .text(builtAt), .text(expiresAt), .text(id)])
        guard db.changes == 1 else { throw CustodyError.notFound(.bundle, "no bundle \(id)") }
    }

    /// Revokes a bundle: its link is refused from now on. A bundle revoked already is a conflict.
    public func revoke(_ id: String, by actor: String, reason: String, at now: String) throws {
        let found = try get(id)
        if let since = found.revokedAt {
            throw CustodyError.conflict(.bundle, "bundle \(found.id) is already revoked (since \(since))")
        }
        try db.query("UPDATE bundles SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?",
                     [.text(now), .text(actor), .text(reason), .text(found.id)])
    }

    /// Notes that the bundle's ZIP was removed (expired or revoked); the row and its events stay.
    public func markRemoved(_ id: String, at now: String) throws {
        try db.query("UPDATE bundles SET removed_at = ? WHERE id = ? AND removed_at IS NULL", [.text(now), .text(id)])
    }

    static let columns = """
        id, case_ref, recipient, created_by, created_at, expires_in, max_downloads, state, attempts, lease_owner, \
        lease_until, next_try_at, error, step, progress, size, sha256, built_at, checkpoint_size, expires_at, \
        downloads, revoked_at, revoked_by, revoke_reason, removed_at
        """

    static func decode(_ row: Row) -> Bundle {
        Bundle(id: row.text(0) ?? "", caseRef: row.text(1) ?? "", recipient: row.text(2) ?? "",
               createdBy: row.text(3) ?? "", createdAt: row.text(4) ?? "", expiresIn: row.int(5) ?? 0,
               maxDownloads: row.int(6), state: State(rawValue: row.text(7) ?? "") ?? .failed,
               attempts: row.int(8) ?? 0, leaseOwner: row.text(9), leaseUntil: row.int(10),
               nextTryAt: row.int(11) ?? 0, error: row.text(12), step: row.text(13), progress: row.double(14),
               size: row.int(15), sha256: row.text(16), builtAt: row.text(17), checkpointSize: row.int(18),
               expiresAt: row.text(19), downloads: row.int(20) ?? 0, revokedAt: row.text(21),
               revokedBy: row.text(22), revokeReason: row.text(23), removedAt: row.text(24))
    }
}
