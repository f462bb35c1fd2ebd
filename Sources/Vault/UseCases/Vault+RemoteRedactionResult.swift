import Catalog
import Crypto
import CustodyCore
import Ledger
import Media

/// What a remote worker reports it made: the derived file's SHA-256, size and chunk list, its chunks
/// already in the shared store, and how the redaction went.
public struct RedactionReport: Sendable {
    public let sha256: SHA256Digest
    public let size: Int64
    public let chunkSize: Int
    public let chunks: [(digest: SHA256Digest, size: Int)]
    public var damagedPackets = 0
    public var droppedStreams: [String] = []

    public init(sha256: SHA256Digest, size: Int64, chunkSize: Int, chunks: [(digest: SHA256Digest, size: Int)]) {
        self.sha256 = sha256
        self.size = size
        self.chunkSize = chunkSize
        self.chunks = chunks
    }
}

extension Vault {
    /// Catalogues a remote worker's redaction under its lease `leaseID`, trusting nothing the worker says
    /// of the bytes: the file is read back from the store (a listed chunk it does not hold refuses the report),
    /// every chunk checked against its name and size and the whole against the reported SHA-256, then probed.
    /// It is then catalogued as `redact` catalogues a redaction (the same events and details, the worker
    /// the actor, the officer who queued the job named) and noted as the clip's derived exhibit, in the
    /// transaction that checks the lease is still the worker's. A report that does not hold is refused
    /// (`invalidInput`), recorded as the lease's failed attempt, and catalogues nothing; one under a lost
    /// lease is a conflict, recorded.
    public func completeRedaction(_ leaseID: String, worker: String, report: RedactionReport) throws -> IngestResult {
        try authorize(.worker(worker), .redact)
        guard let lease = try db.transaction({ try bundleRegistry.redactionLease(leaseID, owner: worker) }) else {
            throw lostLease(leaseID, worker: worker, "success")
        }
        let job = try bundleRegistry.get(lease.bundle)
        let parent = try catalog.find(lease.item.exhibit)
        let spec = lease.item.spec ?? []
        try authorize(.officer(job.createdBy), to: .redact, exhibit: parent)
        let owner = "the derived file of lease \(leaseID)"
        do {
            try checkReport(report, owner: owner)
        } catch let e as CustodyError where e.kind == .integrity || e.isCallersFault {
            let why = "the worker's report was refused: \(e.message)"
            try failRedaction(leaseID, worker: worker, error: why, now: clock.now())
            throw CustodyError.invalidInput(field: "report", why)
        }
        let probe = MediaProbe.probe(source: ExhibitSource(vault: self, chunks: report.chunks,
                                                           chunkSize: report.chunkSize, label: leaseID, owner: owner))
        var source = Self.derivedSource(of: parent, spec: spec, reason: Self.bundleRedactionReason(job),
                                        details: remoteDetails(job, spec: spec, lease: leaseID, [:]),
                                        damagedPackets: report.damagedPackets, droppedStreams: report.droppedStreams)
        source.officer = job.createdBy
        let carried = try carryChunksAhead(report.chunks.map(\.digest))
        do {
            return try db.transaction {
                guard try bundleRegistry.redactionLease(leaseID, owner: worker) != nil else { throw LeaseLost() }
                let result = try catalogue(sha256: report.sha256, total: report.size, chunkSize: report.chunkSize,
                                           chunks: report.chunks.map { ($0.digest, $0.size) }, probe: probe,
                                           source: source, actor: .worker(worker), carried: carried)
                try bundleRegistry.setDerived(job.id, index: lease.item.index, derived: result.exhibit.id)
                try bundleRegistry.endRedactionLease(leaseID)
                return result
            }
        } catch is LeaseLost {
            throw lostLease(leaseID, worker: worker, "success")
        }
    }

    /// The chunk list is whole and consistent (every chunk but the last `chunkSize` bytes, their sum the
    /// size), every chunk is in the store (found by reading it), and the bytes read back hash to the reported
    /// SHA-256.
    private func checkReport(_ report: RedactionReport, owner: String) throws {
        guard (1...Self.maxChunkSize).contains(report.chunkSize) else {
            throw CustodyError.invalidInput(field: "chunk_size", "the chunk size must be 1-\(Self.maxChunkSize) bytes")
        }
        guard !report.chunks.isEmpty, report.chunks.dropLast().allSatisfy({ $0.size == report.chunkSize }),
              (1...report.chunkSize).contains(report.chunks.last!.size),
              report.chunks.reduce(Int64(0), { $0 + Int64($1.size) }) == report.size else {
            throw CustodyError.invalidInput(field: "chunks", "the chunk list does not add up to \(report.size) bytes "
                                            + "in chunks of \(report.chunkSize) (only the last may be shorter)")
        }
        let whole = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: report.chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        // No `exists` first: the read finds a chunk the worker did not store (one request per chunk, not two).
        for (index, chunk) in report.chunks.enumerated() {
            whole.update(try Self.readChunk(chunk.digest, size: chunk.size, index: index, of: owner, from: store,
                                            into: buffer) {
                CustodyError.invalidInput(field: "chunks", "chunk \(index) (\(chunk.digest)) is not in the store")
            })
        }
        let actual = whole.finalize()
        guard actual == report.sha256 else {
            throw CustodyError.integrity("\(owner) hashes to \(actual) in the store, not the \(report.sha256) reported")
        }
    }
}

/// The lease was lost between the checks and the catalogue's transaction.
private struct LeaseLost: Error {}
