import Catalog
import CustodyCore
import Foundation
import TestSupport
import Vault

/// A recording captured and ingested long ago (2020), past any default retention period (a period counts from
/// the later of capture and ingest). The binary reads the machine's clock, so it is ingested by a vault of this
/// process on the same data directory, whose clock is set to 2020.
enum OldRecording {
    static let captured = "2020-01-01T00:00:00Z"

    /// Ingests `path` into the vault at `data` as `actor`, and signs a checkpoint; returns the exhibit's ID.
    @discardableResult
    static func ingest(_ path: String, into data: String, as actor: Actor, chunkSize: Int = 65536) throws -> String {
        let vault = try Vault(directory: DataDirectory(root: data))
        vault.clock = ManualClock(now: Int64(Timestamp.parse(captured)!.timeIntervalSince1970)).clock
        let result = try vault.ingest(path: path, source: IngestSource(filename: URL(fileURLWithPath: path).lastPathComponent,
                                                                      device: "BW2-1", capturedAt: captured),
                                      actor: actor, chunkSize: chunkSize)
        try vault.checkpoint()
        return result.exhibit.id
    }
}
