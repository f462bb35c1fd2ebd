import Catalog
import CustodyCore
import Foundation
import Ledger
import ObjectStore
import Storage

/// What `custody store migrate` did.
public struct StoreMigrationReport: Sendable {
    public let from: StoreLocation
    public let to: StoreLocation
    /// Chunks in the old store; of them, written to the new one, and found there intact already (an earlier run
    /// that was interrupted).
    public var listed = 0
    public var copied = 0
    public var alreadyThere = 0
    /// Chunks exhibits reference, each found in the new store before the switch.
    public var checked = 0
    /// Of those, catalogued while the copy ran (an ingest or upload meanwhile), copied before the switch.
    public var caughtUp = 0
    /// The new store's locks brought to the rules (`syncLocks`), or why not yet.
    public var locks: LockSyncReport?
    public var lockFailure: String?
}

/// `custody store migrate --to s3://...`: moves a vault's chunks to an S3 store while it runs.
///
/// 1. Copies every chunk of the old store, each read checked against its name (a damaged one stops the move,
///    named) and written with the PUT checks. One found intact in the new store is not copied again, so a run
///    killed part-way is resumed by running it again.
///    Several chunks at once (`ChunkCopy`), a page of names at a time, the new store synced after each page.
/// 2. Checks every chunk an exhibit references is in the new store (by listing it), copying those catalogued
///    meanwhile.
/// 3. In one write transaction, copies what was catalogued since and switches the `chunk_store` setting, with a
///    `key` event (`change: chunk store`). From then on every process opening the vault uses the new store. A
///    vault opened before (the service's) that catalogues after the switch first copies that ingest's chunks to
///    the new store before its transaction (`carryChunksAhead`) and, in it, checks they are there
///    (`carryChunksIfMoved`), so nothing catalogued is missing from it; a retention run or gc of such a vault
///    refuses and runs again on a fresh one.
/// The old store is left as it was (a copy to remove by hand once the new one is trusted).
extension Vault {
    public func migrateStore(to target: StoreLocation, by actor: Actor,
                             progress: ((StoreMigrationReport) -> Void)? = nil) throws -> StoreMigrationReport {
        var details = ["change": "chunk store", "to": target.description]
        try authorize(actor, to: .manageKeys, details: details)
        try refuseIfMoved()
        guard case .s3(let location, let mode) = target else {
            throw CustodyError.invalidInput(field: "--to", "--to must be an s3:// location: the vault's chunks move to "
                                            + "object storage")
        }
        guard target != openedStore else {
            throw CustodyError.conflict(.setting, "this vault keeps its chunks in \(target) already")
        }
        let destination = try Self.openS3(location, lock: mode, credentialsFile: Self.credentialsFile(of: directory),
                                          lockSeconds: { try self.defaultLockSeconds() })
        _ = try Self.saveCredentials(for: target, in: directory)
        var report = StoreMigrationReport(from: openedStore, to: target)
        let copier = ChunkCopy(from: store, to: destination, checkExisting: true)
        let start = report
        let copied = try copier.all { done in
            var now = start
            (now.listed, now.copied, now.alreadyThere) = (done.listed, done.copied, done.alreadyThere)
            progress?(now)
        }
        (report.listed, report.copied, report.alreadyThere) = (copied.listed, copied.copied, copied.alreadyThere)
        progress?(report)
        // Catalogued while the copy ran: found missing by one listing of the new store, not a HEAD per chunk.
        let referenced = try referencedChunks()
        let missing = try destination.unlisted(referenced)
        report.caughtUp = try copier.chunks(missing).copied
        if let lost = try destination.unlisted(missing).first { throw ChunkStoreError.missing(lost) }
        var checked = Set(referenced)
        try db.transaction {
            let since = try referencedChunks().filter { !checked.contains($0) }
            report.caughtUp += try copier.chunks(since).copied
            checked.formUnion(since)
            report.checked = checked.count
            try catalog.setSetting(StoreLocation.settingName, target.description)
            details["from"] = openedStore.description
            details["chunks"] = String(report.checked)
            try record(CustodyEvent(actor: actor, action: .key, details: details))
        }
        do { report.locks = try Vault(directory: directory).syncLocks() } catch { report.lockFailure = "\(error)" }
        return report
    }

    /// Every chunk an exhibit that is not purged references.
    private func referencedChunks() throws -> [SHA256Digest] {
        try db.query(DeletionRegistry.chunksInUseQuery).compactMap { $0.text(0).flatMap(SHA256Digest.init(hex:)) }
    }

    /// The period of the default category: how long a chunk is locked when it is written.
    func defaultLockSeconds() throws -> Int64 { try retentionRegistry.defaultKeepSecondsNow() }

    /// Where the catalog says the chunks are now, when that is not where they were when this vault opened.
    func storeMoved() throws -> StoreLocation? {
        let now = try storeLocation()
        return now == openedStore ? nil : now
    }

    /// Refuses work that must see the vault's current store (retention's deletions, gc, another move).
    func refuseIfMoved() throws {
        if let moved = try storeMoved() {
            throw CustodyError.conflict(.setting, "the vault's chunks moved to \(moved) since this process opened it "
                                        + "(custody store migrate): run this again")
        }
    }

    /// Before a catalogue's transaction: when the store moved since this vault opened, copies `chunks` (just stored
    /// in the old one) to the new one, so that the transaction need not hold the writer through that network I/O.
    func carryChunksAhead(_ chunks: [SHA256Digest]) throws -> CarriedChunks {
        guard let moved = try storeMoved() else { return CarriedChunks(to: nil) }
        let target = try Self.openStore(moved, directory: directory, lockSeconds: { try self.defaultLockSeconds() })
        _ = try ChunkCopy(from: store, to: target, checkExisting: true).chunks(chunks)
        return CarriedChunks(to: (moved, target))
    }

    /// In a catalogue's transaction: when the store moved since this vault opened, makes sure `chunks` are in the
    /// store the catalog names now, so everything catalogued is there. Where `carryChunksAhead` copied them to that
    /// very store, it only asks the store they are still there (several at once), copying one a `store gc` took
    /// meanwhile; otherwise (the store moved, or moved again, since) it copies them here.
    func carryChunksIfMoved(_ chunks: [SHA256Digest], carried: CarriedChunks) throws {
        guard let moved = try storeMoved() else { return }
        let ahead = carried.to.flatMap { $0.location == moved ? $0.store : nil }
        let target = try ahead ?? Self.openStore(moved, directory: directory,
                                                 lockSeconds: { try self.defaultLockSeconds() })
        _ = try ChunkCopy(from: store, to: target, checkExisting: ahead == nil).chunks(chunks)
    }
}

/// Where `carryChunksAhead` copied a catalogue's chunks: nil when the store had not moved.
struct CarriedChunks {
    let to: (location: StoreLocation, store: any ChunkStore)?
}
