import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger

/// What `custody verify` found.
public struct VerifyReport: Sendable {
    public struct Damage: Sendable, Equatable {
        public let exhibit: String
        /// Chunk index, or nil when the damage is to the exhibit as a whole.
        public let chunkIndex: Int?
        public let chunk: SHA256Digest?
        public let problem: String
    }

    public var exhibitsChecked = 0
    public var chunksChecked = 0
    public var bytesChecked: Int64 = 0
    public var damage: [Damage] = []
    /// Events in the ledger, each re-encoded and checked against the Merkle tree and the checkpoints.
    public var eventsChecked: UInt64 = 0
    /// What `ledger verify` would report: each event row that does not match the tree (naming its
    /// index), a changed tree or checkpoint. The exhibit checks rely on those rows.
    public var ledgerProblems: [String] = []
    /// Exhibits with at least one problem, in catalog order.
    public var damagedExhibits: [String] {
        var seen = Set<String>()
        return damage.map(\.exhibit).filter { seen.insert($0).inserted }
    }
    public var isIntact: Bool { damage.isEmpty && ledgerProblems.isEmpty }
}

extension Vault {
    /// Re-hashes every stored chunk and every exhibit, and checks every exhibit against the ledger
    /// event that created it (its SHA-256, size, parent, spec and chunk list, proved against the newest
    /// signed checkpoint) both ways: a catalog row without such an event, and an exhibit the ledger
    /// created that is no longer in the catalog. First the whole ledger is checked as `ledger verify`
    /// checks it (one pass: every row re-encoded and compared with its leaf in the tree, the tree with
    /// every signed checkpoint), so a creation event rewritten with its catalog row, or one changed so
    /// it no longer reads as a creation, is caught too. Never stops at the first problem: the report
    /// lists each damaged, missing or disagreeing exhibit and chunk, malformed catalog rows included.
    ///
    /// One pass per exhibit: while one core hashes a chunk (into the chunk's and the exhibit's
    /// SHA-256 at once, `SHA256Pair`), the other reads the next.
    public func verify(actor: Actor, progress: ((Int64, Int64) -> Void)? = nil) throws -> VerifyReport {
        try authorize(actor, to: .verify)
        // One snapshot: an exhibit the daemon catalogues meanwhile is in both lists or in neither.
        let (rows, created) = try db.readTransaction { (try catalog.rows(), try events.creationEvents()) }
        var creations = Dictionary(created.map { ($0.exhibit, $0.event) }, uniquingKeysWith: { first, _ in first })
        let context = try anchorContext()
        let ledger = try events.verify(verifier: noteVerifier())
        let totalBytes = rows.reduce(0) { $0 + ((try? $1.exhibit.get())?.size ?? 0) }
        var report = VerifyReport()
        report.eventsChecked = ledger.size
        report.ledgerProblems = ledger.problems
        let buffers = (0..<2).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: Vault.maxChunkSize, alignment: 4096)
        }
        defer { buffers.forEach { $0.deallocate() } }
        for row in rows {
            report.exhibitsChecked += 1
            let creation = creations.removeValue(forKey: row.id)
            func damaged(_ problem: String) {
                report.damage.append(.init(exhibit: row.id, chunkIndex: nil, chunk: nil, problem: problem))
            }
            let exhibit: Exhibit
            switch row.exhibit {
            case .failure(let e): damaged(e.message); continue
            case .success(let e): exhibit = e
            }
            var chunks: [(digest: SHA256Digest, size: Int)]?
            do { chunks = try catalog.chunks(of: exhibit) } catch let e as CustodyError where e.kind == .integrity {
                damaged(e.message)
            }
            var anchor = (sha256: exhibit.sha256, size: exhibit.size)
            if case .failure(let e)? = creation {
                damaged("its creation event in the ledger is malformed: \(e.message)")
            } else {
                let event = try? creation?.get()
                try ledgerDisagreements(exhibit, creation: event, chunks: chunks, context: context).forEach(damaged)
                anchor = event.flatMap { Self.identity(recordedBy: $0, of: exhibit) } ?? anchor
            }
            guard let chunks else { continue }
            rehash(exhibit, chunks: chunks, against: anchor, buffers: buffers, report: &report, progress: {
                progress?($0, totalBytes)
            })
        }
        for (id, event) in created where creations[id] != nil {
            report.exhibitsChecked += 1
            let recorded = (try? event.get()).map {
                "its \($0.action.rawValue) event \($0.seq) (SHA-256 \($0.objectSHA256 ?? "?"), "
                    + "\($0.details["size"] ?? "?") bytes)"
            } ?? "an ingest or redact event"
            report.damage.append(.init(exhibit: id, chunkIndex: nil, chunk: nil,
                                       problem: "is missing from the catalog, but the ledger has \(recorded): its "
                                           + "catalog rows were deleted"))
        }
        try record(CustodyEvent(
            actor: actor, action: .verify, outcome: report.isIntact ? .ok : .failed,
            reason: report.isIntact ? nil : Self.failure(report),
            details: ["exhibits": String(report.exhibitsChecked), "chunks": String(report.chunksChecked),
                      "bytes": String(report.bytesChecked), "events": String(report.eventsChecked)]))
        return report
    }

    /// The verify event's reason for a report that is not intact.
    private static func failure(_ report: VerifyReport) -> String {
        let damaged = report.damagedExhibits.joined(separator: ", ")
        return ((damaged.isEmpty ? [] : ["damaged: \(damaged)"])
                + report.ledgerProblems.prefix(1).map { "the ledger does not match: \($0)" }).joined(separator: "; ")
    }

    /// Re-hashes the chunks of one exhibit and the whole, which must be the `anchor` the ledger recorded.
    private func rehash(_ exhibit: Exhibit, chunks: [(digest: SHA256Digest, size: Int)],
                        against anchor: (sha256: SHA256Digest, size: Int64),
                        buffers: [UnsafeMutableRawBufferPointer], report: inout VerifyReport,
                        progress: (Int64) -> Void) {
        // Both hashes in one pass need every part but the last to be whole SHA-256 blocks.
        let hashes = SHA256Pair(accelerated: SHA256Pair.isAccelerated
                                && chunks.dropLast().allSatisfy { $0.size % 64 == 0 })
        var intact = true
        var next = chunks.isEmpty ? nil : readStoredChunk(chunks[0], into: buffers[0])
        for (i, chunk) in chunks.enumerated() {
            report.chunksChecked += 1
            let current = next!
            var problem: String?
            Parallel.both({
                problem = Self.check(current, chunk, hashes)
            }, {
                next = i + 1 < chunks.count ? self.readStoredChunk(chunks[i + 1], into: buffers[(i + 1) % 2]) : nil
            })
            if let problem {
                intact = false
                report.damage.append(.init(exhibit: exhibit.id, chunkIndex: i, chunk: chunk.digest,
                                           problem: Self.damage("exhibit \(exhibit.id)", i, chunk.digest, problem)))
            }
            report.bytesChecked += Int64(chunk.size)
            progress(report.bytesChecked)
        }
        let digest = hashes.finishWhole()
        let size = chunks.reduce(0) { $0 + Int64($1.size) }
        if intact && (digest != anchor.sha256 || size != anchor.size) {
            report.damage.append(.init(exhibit: exhibit.id, chunkIndex: nil, chunk: nil,
                                       problem: "reassembles to SHA-256 \(digest) (\(size) bytes), not "
                                           + "\(anchor.sha256) (\(anchor.size) bytes)"))
        }
    }

    /// A stored chunk's bytes, or why they cannot be read (missing, unreadable, too large).
    private func readStoredChunk(_ chunk: (digest: SHA256Digest, size: Int),
                                 into buffer: UnsafeMutableRawBufferPointer) -> Result<UnsafeRawBufferPointer, any Error> {
        Result { UnsafeRawBufferPointer(rebasing: buffer[0..<(try store.read(chunk.digest, into: buffer))]) }
    }

    /// Feeds an intact-sized chunk to both hashes and compares the chunk's; nil when it is intact.
    /// A chunk that cannot be read or has the wrong size is not fed (the exhibit is damaged anyway,
    /// and the next chunk's hash must start clean).
    private static func check(_ read: Result<UnsafeRawBufferPointer, any Error>,
                              _ chunk: (digest: SHA256Digest, size: Int), _ hashes: SHA256Pair) -> String? {
        let bytes: UnsafeRawBufferPointer
        switch read {
        case .failure(let error): return "\(error)"
        case .success(let b): bytes = b
        }
        guard bytes.count == chunk.size else {
            return "it now has \(bytes.count) bytes, expected \(chunk.size) (SHA-256 \(SHA256.hash(bytes)))"
        }
        hashes.update(bytes)
        let actual = hashes.finishPart()
        return actual == chunk.digest ? nil : "it now hashes to \(actual) (\(bytes.count) bytes)"
    }
}
