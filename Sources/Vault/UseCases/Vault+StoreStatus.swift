import Catalog
import CustodyCore
import Foundation
import Ledger
import Storage

/// What `custody store show` tells: where the chunks are (never a secret: locations carry none), the lock mode,
/// whether the store answers now, where the credentials come from (not what they are).
public struct StoreStatus: Sendable {
    public let location: StoreLocation
    public var reachable = true
    /// Why the store cannot be used now; nil when it answered.
    public var problem: String?
    /// `environment` or the credentials file's path, for an S3 store; nil when none is found or for files.
    public var credentials: String?
    /// Chunks retention freed that the store keeps under its lock until it ends.
    public var lockedDeletions = 0
}

extension Vault {
    /// The store's status. Any role that reads retention may ask; not recorded.
    public func storeStatus(for actor: Actor) throws -> StoreStatus {
        try authorize(actor, to: .readRetention, details: ["list": "store"])
        var status = StoreStatus(location: try storeLocation())
        status.lockedDeletions = try ChunkLockRegistry(db: db).lockedDeletions().count
        if case .s3 = status.location {
            let environment = ProcessInfo.processInfo.environment
            if environment["AWS_ACCESS_KEY_ID"]?.isEmpty == false && environment["AWS_SECRET_ACCESS_KEY"]?.isEmpty == false {
                status.credentials = "environment"
            } else if FileManager.default.fileExists(atPath: Self.credentialsFile(of: directory)) {
                status.credentials = Self.credentialsFile(of: directory)
            }
        }
        do {
            _ = try store.list(after: nil, limit: 1)
        } catch {
            status.reachable = false
            status.problem = "\(error)"
        }
        return status
    }

    /// `custody store sync-locks`: brings the store's Object Lock to what retention says now (`syncLocks`), the
    /// work a catalog change could not do while the store was unreachable. A `retention` event when it changed
    /// anything (`change: store locks`).
    public func syncStoreLocks(by actor: Actor) throws -> LockSyncReport {
        try authorize(actor, to: .manageRetention, details: ["change": "store locks"])
        let report = try syncLocks()
        if report.changed > 0 || !report.missing.isEmpty {
            try record(CustodyEvent(actor: actor, action: .retention,
                                    details: ["change": "store locks", "extended": String(report.extended),
                                              "held": String(report.held), "released": String(report.released),
                                              "missing": String(report.missing.count)]))
        }
        return report
    }
}
