import CustodyCore
import Foundation
import Ledger
import Uploads
import Vault

/// What the endpoint does besides answering requests: ingests uploads whose last byte is in but
/// whose ingest did not happen, expires abandoned ones, and records the refusals its budget held back.
extension TusHandler {
    /// Ingests a fully received upload, counted and logged.
    func ingest(_ upload: Upload, by actor: Actor, vault: Vault, store: UploadStore, hasher: UploadHasher?,
                stopping: () -> Bool = { false }) throws -> Upload {
        let done = try vault.completeUpload(upload, by: actor, hasher: hasher, in: store, stopping: stopping)
        metrics.increment("custody_ingests_total")
        log.info("upload ingested", ["upload": done.id, "dock": done.owner, "exhibit": done.exhibit ?? "",
                                     "bytes": done.length])
        return done
    }

    /// An upload whose last byte is durably stored but whose ingest did not happen (it failed, the
    /// daemon stopped first, or the body broke off just after its end) is ingested now. Returns the
    /// upload as it is afterwards. A failure is logged and leaves the upload as it was, for the next
    /// HEAD, the sweeper or a restart to try again; a request holding the upload is left to finish it.
    /// After a failure the next attempt waits (1 minute, doubling up to an hour): each attempt reads
    /// the whole recording again. An ingest `inBackground` (at start-up, or the sweeper's) gives up
    /// when the service stops (`startupIngests.stop()`), leaving the upload as it was for the next start.
    func finishReceived(_ upload: Upload, inBackground: Bool = false) -> Upload {
        guard retries.due(upload.id, now: uptime) else { return upload }
        do {
            let result = try busy.ifFree(upload.id) {
                if inBackground { startupIngests.whileHeld?(upload) }
                return try pool.with { vault in
                    let store = try uploads(in: vault)
                    guard let current = try store.get(upload.id) else { return upload }
                    guard current.state == .active, current.isFinished else { return current }
                    do {
                        return try ingest(current, by: .system, vault: vault, store: store, hasher: nil) {
                            inBackground && startupIngests.isStopping
                        }
                    } catch UploadError.quarantined {
                        return try store.get(upload.id) ?? current  // logged in the ledger by `complete`
                    }
                }
            } ?? upload
            retries.succeeded(upload.id)
            return result
        } catch is CancellationError {
            log.info("upload ingest stopped with the service; the next start ingests it", ["upload": upload.id])
            return upload
        } catch {
            let wait = retries.failed(upload.id, now: uptime)
            log.error("upload could not be ingested", ["upload": upload.id, "error": String(describing: error),
                                                       "retry_in_seconds": Int(wait)])
            return upload
        }
    }

    /// The sweeper's round: the refused attempts of an ended window that did not get an event each
    /// are recorded in one; abandoned uploads past their expiry are removed, and fully received
    /// uploads whose ingest failed are ingested (not once the service is stopping: the sweeper's
    /// last round would keep it waiting). Each under the upload's lock: never one a request is
    /// writing (that request moves the expiry on, or ingests it).
    func sweep(_ vault: Vault) throws {
        do { try record(endedWindows(now: uptime), in: vault) } catch {  // kept for the next round
            log.error("refused attempts could not be recorded", ["error": String(describing: error)])
        }
        let store = try uploads(in: vault)
        for candidate in try store.expiredUploads() {
            let expire = { try vault.expireUpload(candidate.id, in: store) }
            guard let expired = try busy.ifFree(candidate.id, expire) ?? nil else {
                continue  // a request holds it, or moved it on
            }
            log.info("upload expired", ["upload": expired.id, "owner": expired.owner, "offset": expired.offset])
        }
        try finishReceivedUploads(vault)
    }

    /// Ingests the fully received uploads whose ingest failed and is due again (`finishReceived`), until the
    /// service stops: the sweeper's round, and the store watch's once the store answers again.
    func finishReceivedUploads(_ vault: Vault) throws {
        for upload in try uploads(in: vault).unfinishedCompletions() {
            if startupIngests.isStopping { break }  // the service is stopping: its next start ingests them
            _ = finishReceived(upload, inBackground: true)
        }
    }
}
