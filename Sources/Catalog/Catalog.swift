import CustodyCore
import Foundation
import MediaModel
import SQLite

/// The exhibit catalog: which exhibits exist and which chunks, in order, make each one.
public final class Catalog {
    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE exhibits (
                num INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                sha256 TEXT NOT NULL UNIQUE,
                size INTEGER NOT NULL,
                chunk_size INTEGER NOT NULL,
                filename TEXT,
                device TEXT NOT NULL,
                officer TEXT NOT NULL,
                captured_at TEXT,
                ingested_at TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('ok', 'unreadable')),
                unreadable_reason TEXT,
                media TEXT,
                parent_sha256 TEXT REFERENCES exhibits(sha256),
                spec_sha256 TEXT,
                spec TEXT
            );
            CREATE INDEX exhibits_parent ON exhibits(parent_sha256);
            CREATE TABLE exhibit_chunks (
                exhibit INTEGER NOT NULL REFERENCES exhibits(num),
                idx INTEGER NOT NULL,
                chunk TEXT NOT NULL,
                size INTEGER NOT NULL,
                PRIMARY KEY (exhibit, idx)
            ) WITHOUT ROWID;
            CREATE INDEX exhibit_chunks_chunk ON exhibit_chunks(chunk);
            CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
    ]

    static let columns = """
        id, sha256, size, chunk_size, filename, device, officer, captured_at, ingested_at, status,
        unreadable_reason, media, parent_sha256, spec_sha256, spec
        """

    public init(db: Database) throws {
        self.db = db
        try db.migrate("vault", Self.migrations)
    }

    /// The catalog ID of exhibit number `num`: `EX-000042`.
    public static func id(_ num: Int64) -> String { String(format: "EX-%06lld", num) }

    /// The number the next exhibit gets unless the caller asks for a higher one.
    public func nextNumber() throws -> Int64 {
        (try db.query("SELECT COALESCE(MAX(num), 0) + 1 FROM exhibits").first?.int(0)) ?? 1
    }

    /// Inserts a new exhibit and its chunk list, numbered `num` (at least `nextNumber()`); the caller
    /// holds the transaction.
    public func insert(_ e: Exhibit, chunks: [(SHA256Digest, Int)], num: Int64) throws -> Exhibit {
        var exhibit = e
        exhibit.id = Self.id(num)
        let media = try e.media.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try db.query(
            "INSERT INTO exhibits (num, \(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.integer(num), .text(exhibit.id), .text(e.sha256.hex), .integer(e.size), .int(e.chunkSize),
             .optional(e.filename), .text(e.device), .text(e.officer), .optional(e.capturedAt), .text(e.ingestedAt),
             .text(e.status.rawValue), .optional(e.unreadableReason), .optional(media),
             .optional(e.parentSHA256?.hex), .optional(e.specSHA256?.hex), .optional(e.spec)])
        try insertChunks(chunks, of: num)
        return exhibit
    }

    /// Replaces what exhibit `id` is made of (its SHA-256, size, chunk size and chunk list), keeping the
    /// rest of its row; the caller holds the transaction and has checked the new content against the ledger.
    public func replaceContent(of id: String, sha256: SHA256Digest, size: Int64, chunkSize: Int,
                        chunks: [(SHA256Digest, Int)]) throws {
        guard let num = try db.query("SELECT num FROM exhibits WHERE id = ?", [.text(id)]).first?.int(0) else {
            throw CustodyError.integrity("no catalog row for \(id)")
        }
        try db.query("UPDATE exhibits SET sha256 = ?, size = ?, chunk_size = ? WHERE num = ?",
                     [.text(sha256.hex), .integer(size), .int(chunkSize), .integer(num)])
        try db.query("DELETE FROM exhibit_chunks WHERE exhibit = ?", [.integer(num)])
        try insertChunks(chunks, of: num)
    }

    private func insertChunks(_ chunks: [(SHA256Digest, Int)], of num: Int64) throws {
        let statement = try db.prepare("INSERT INTO exhibit_chunks (exhibit, idx, chunk, size) VALUES (?, ?, ?, ?)")
        for (i, chunk) in chunks.enumerated() {
            try statement.run([.integer(num), .int(i), .text(chunk.0.hex), .int(chunk.1)])
        }
    }

    /// All exhibits, oldest first.
    public func all() throws -> [Exhibit] {
        try db.query("SELECT \(Self.columns) FROM exhibits ORDER BY num").map(Self.decode)
    }

    /// Every exhibit row, oldest first, decoded or with the reason it cannot be: `verify` reports a
    /// malformed row and goes on to the next.
    public func rows() throws -> [(id: String, exhibit: Result<Exhibit, CustodyError>)] {
        try db.query("SELECT \(Self.columns), num FROM exhibits ORDER BY num").map { row in
            let id = row.text(0) ?? "catalog row \(row.int(15).map(String.init) ?? "?")"
            do { return (id, .success(try Self.decode(row))) } catch let e as CustodyError { return (id, .failure(e)) }
        }
    }

    public func exhibit(sha256: SHA256Digest) throws -> Exhibit? {
        try db.query("SELECT \(Self.columns) FROM exhibits WHERE sha256 = ?", [.text(sha256.hex)]).first.map(Self.decode)
    }

    /// Finds an exhibit by catalog ID (`EX-000042`, case-insensitive) or by a unique SHA-256 prefix
    /// of at least 6 hex digits.
    public func find(_ reference: String) throws -> Exhibit {
        let ref = reference.trimmingCharacters(in: .whitespaces)
        if ref.uppercased().hasPrefix("EX-") {
            if let e = try db.query("SELECT \(Self.columns) FROM exhibits WHERE id = ?", [.text(ref.uppercased())])
                .first.map(Self.decode) { return e }
            throw CustodyError.notFound(.exhibit, "no exhibit \(ref)")
        }
        let prefix = ref.lowercased()
        guard prefix.utf8.count >= 6, prefix.utf8.count <= 64, Hex.isLowerHex(Substring(prefix)) else {
            throw CustodyError.invalidInput(field: "exhibit",
                "\(reference) is neither an exhibit ID (EX-000001) nor a SHA-256 prefix of 6+ hex digits")
        }
        let rows = try db.query("SELECT \(Self.columns) FROM exhibits WHERE sha256 >= ? AND sha256 < ? ORDER BY num LIMIT 2",
                                [.text(prefix), .text(prefix + "g")])
        switch rows.count {
        case 0: throw CustodyError.notFound(.exhibit, "no exhibit has a SHA-256 starting \(prefix)")
        case 1: return try Self.decode(rows[0])
        default: throw CustodyError.invalidInput(field: "exhibit",
            "SHA-256 prefix \(prefix) matches more than one exhibit: give more digits")
        }
    }

    /// The chunks of an exhibit in order, with their sizes.
    public func chunks(of exhibit: Exhibit) throws -> [(digest: SHA256Digest, size: Int)] {
        try db.query("""
            SELECT c.chunk, c.size, c.idx FROM exhibit_chunks c JOIN exhibits e ON e.num = c.exhibit
            WHERE e.id = ? ORDER BY c.idx
            """, [.text(exhibit.id)]).map { row in
            guard let digest = row.text(0).flatMap(SHA256Digest.init(hex:)), let size = row.int(1),
                  size >= 0, size <= ChunkSize.maximum else {
                let position = row.int(2).map(String.init) ?? "?"
                throw CustodyError.integrity("the chunk list of \(exhibit.id) is damaged in the catalog: the chunk at "
                                             + "position \(position) is not a SHA-256 with a size of at most "
                                             + "\(ChunkSize.maximum >> 20) MiB")
            }
            return (digest, Int(size))
        }
    }

    /// Exhibits derived from `exhibit` (redactions, clips).
    public func derived(from exhibit: Exhibit) throws -> [Exhibit] {
        try db.query("SELECT \(Self.columns) FROM exhibits WHERE parent_sha256 = ? ORDER BY num",
                     [.text(exhibit.sha256.hex)]).map(Self.decode)
    }

    public func setting(_ key: String) throws -> String? {
        try db.query("SELECT value FROM settings WHERE key = ?", [.text(key)]).first?.text(0)
    }

    public func setSetting(_ key: String, _ value: String) throws {
        try db.query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     [.text(key), .text(value)])
    }

    static func decode(_ row: Row) throws -> Exhibit {
        guard let id = row.text(0), let sha = row.text(1).flatMap(SHA256Digest.init(hex:)), let size = row.int(2),
              let chunkSize = row.int(3), let device = row.text(5), let officer = row.text(6),
              let ingestedAt = row.text(8), let status = row.text(9).flatMap(Exhibit.Status.init(rawValue:))
        else { throw CustodyError.integrity("catalog row \(row.text(0) ?? "?") is malformed") }
        let media = row.text(11).flatMap { try? JSONDecoder().decode(MediaInfo.self, from: Data($0.utf8)) }
        return Exhibit(id: id, sha256: sha, size: size, chunkSize: Int(chunkSize), filename: row.text(4),
                       device: device, officer: officer, capturedAt: row.text(7), ingestedAt: ingestedAt,
                       status: status, unreadableReason: row.text(10), media: media,
                       parentSHA256: row.text(12).flatMap(SHA256Digest.init(hex:)),
                       specSHA256: row.text(13).flatMap(SHA256Digest.init(hex:)), spec: row.text(14))
    }
}

extension JSONEncoder {
    /// Sorted keys, so stored JSON is stable.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
