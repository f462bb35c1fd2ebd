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
    public func verify(actor: Actor, progress: ((Int64, Int64) -> Void)? = nil) throws -> VerifyReport {
        let exhibits = try catalog.all()
        let totalBytes = exhibits.reduce(0) { $0 + $1.size }
        var report = VerifyReport()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Vault.maxChunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        for exhibit in exhibits {
            report.exhibitsChecked += 1
            let chunks = try catalog.chunks(of: exhibit)
            let whole = SHA256()
            var intact = true
            for (i, chunk) in chunks.enumerated() {
                report.chunksChecked += 1
                do {
                    let bytes = try readChunk(chunk.digest, size: chunk.size, index: i, of: "exhibit \(exhibit.id)",
                                              into: buffer)
                    whole.update(bytes)
                    report.bytesChecked += Int64(bytes.count)
                } catch let e as CustodyError {
                    intact = false
                    report.damage.append(.init(exhibit: exhibit.id, chunkIndex: i, chunk: chunk.digest,
                                               problem: e.message))
                    report.bytesChecked += Int64(chunk.size)
                }
                progress?(report.bytesChecked, totalBytes)
            }
            let digest = whole.finalize()
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
}
