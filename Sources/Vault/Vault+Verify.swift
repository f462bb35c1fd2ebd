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
    /// Exhibits with at least one problem, in catalog order.
    public var damagedExhibits: [String] {
        var seen = Set<String>()
        return damage.map(\.exhibit).filter { seen.insert($0).inserted }
    }
    public var isIntact: Bool { damage.isEmpty }
}

extension Vault {
    /// Re-hashes every stored chunk and every exhibit. Never stops at the first problem: the report
    /// lists each damaged or missing chunk and each exhibit that no longer matches its SHA-256.
    ///
    /// One pass per exhibit: while one core hashes a chunk (into the chunk's and the exhibit's
    /// SHA-256 at once, `SHA256Pair`), the other reads the next.
    public func verify(actor: Actor, progress: ((Int64, Int64) -> Void)? = nil) throws -> VerifyReport {
        let exhibits = try catalog.all()
        let totalBytes = exhibits.reduce(0) { $0 + $1.size }
        var report = VerifyReport()
        let buffers = (0..<2).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: Vault.maxChunkSize, alignment: 4096)
        }
        defer { buffers.forEach { $0.deallocate() } }
        for exhibit in exhibits {
            report.exhibitsChecked += 1
            let chunks = try catalog.chunks(of: exhibit)
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
                progress?(report.bytesChecked, totalBytes)
            }
            let digest = hashes.finishWhole()
            let size = chunks.reduce(0) { $0 + Int64($1.size) }
            if intact && (digest != exhibit.sha256 || size != exhibit.size) {
                report.damage.append(.init(exhibit: exhibit.id, chunkIndex: nil, chunk: nil,
                                           problem: "reassembles to SHA-256 \(digest) (\(size) bytes), not \(exhibit.sha256)"))
            }
        }
        try record(CustodyEvent(
            actor: actor, action: .verify, outcome: report.isIntact ? .ok : .failed,
            reason: report.isIntact ? nil : "damaged: \(report.damagedExhibits.joined(separator: ", "))",
            details: ["exhibits": String(report.exhibitsChecked), "chunks": String(report.chunksChecked),
                      "bytes": String(report.bytesChecked)]))
        return report
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
