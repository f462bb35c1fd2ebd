import Catalog
import CustodyCore
import Crypto
import Foundation
import POSIX
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One leased job, start to end: each clip with a spec and no derived exhibit yet is redacted (as the
/// officer who queued the job) and its derived exhibit noted at once; the ZIP is written to a scratch
/// file, fsynced, renamed into `bundles/<ID>.zip` and the folder fsynced, in the transaction that marks
/// it built. Killed at any point, it leaves no half bundle at that name, and a retry reuses what was
/// stored.
extension TransferWorker {
    func run(_ job: BundleJob, vault: Vault, owner: String) -> Outcome {
        let id = job.bundle.id
        let heartbeat = LeaseHeartbeat(directory: directory, bundle: id, owner: owner, options: options, log: log)
        heartbeat.start()
        defer { heartbeat.stop() }
        let cancelled = { [self] in isStopping || heartbeat.lost }
        do {
            let clips = try redactions(job, vault: vault, owner: owner, isCancelled: cancelled)
            try write(job, clips: clips, vault: vault, owner: owner, isCancelled: cancelled)
            return .built(id)
        } catch where cancelled() {
            // Stopped or lost: give it back (a lost lease is another's or revoked; nothing to give).
            if !heartbeat.lost { try? vault.releaseBundleJob(id, owner: owner, now: options.clock.now()) }
            return .released(id)
        } catch let e as CustodyError where e.kind == .conflict(.bundle) {
            // The lease was lost (revoked, or taken over) before the heartbeat said so: nothing failed,
            // and nothing is ours to give back.
            log("transfer job lease lost", ["bundle": id, "error": e.message])
            return .released(id)
        } catch {
            let message = (error as? CustodyError)?.description ?? String(describing: error)
            do { try vault.failBundleJob(id, owner: owner, error: message, now: options.clock.now()) } catch {
                log("cannot record the failed attempt", ["bundle": id, "error": String(describing: error)])
            }
            return .failed(id, error: message)
        }
    }

    /// The exhibits whose bytes the bundle sends, in order: redacting those not redacted yet.
    private func redactions(_ job: BundleJob, vault: Vault, owner: String, isCancelled: @escaping () -> Bool) throws
        -> [String] {
        let id = job.bundle.id
        return try job.items.map { item in
            guard let spec = item.spec else { return item.exhibit }
            if let derived = item.derived { return derived }
            let parent = try vault.catalog.find(item.exhibit)
            let made: String
            if let stored = try vault.storedRedaction(of: parent, specSHA256: SHA256.hash(spec)) {
                made = stored.id  // redacted just before a crash: not done again
            } else {
                let step = "redacting \(parent.id)"
                let progress = ProgressNote(vault: vault, bundle: id, owner: owner, step: step, options: options)
                progress.note(0)
                made = try vault.redact(
                    parent, spec: spec, reason: Vault.bundleRedactionReason(job.bundle),
                    actor: .officer(job.bundle.createdBy),
                    details: ["bundle": id],
                    progress: { fraction in
                        progress.note(fraction)
                        if fraction > 0 { TransferTestHook.reached("redacting", isCancelled: isCancelled) }
                    }, isCancelled: isCancelled).exhibit.id
            }
            try vault.noteBundleDerived(id, owner: owner, index: item.index, derived: made)
            return made
        }
    }

    /// Writes the ZIP to a scratch file and publishes it as `bundles/<ID>.zip`.
    private func write(_ job: BundleJob, clips: [String], vault: Vault, owner: String,
                       isCancelled: @escaping () -> Bool) throws {
        let bundle = job.bundle
        let expiresAt = Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(options.clock.now()
                                                                                   + bundle.expiresIn)))
        let request = BundleRequest(id: bundle.id, caseRef: bundle.caseRef, caseTitle: job.caseTitle,
                                    recipient: bundle.recipient, createdBy: bundle.createdBy,
                                    createdAt: bundle.createdAt, expiresAt: expiresAt, clips: clips)
        let folder = try directory.makeBundlesFolder()
        let temp = try directory.scratch(renamingInto: folder) + "/" + Scratch.name("-bundle")
        defer { unlink(temp) }  // gone already once renamed
        let progress = ProgressNote(vault: vault, bundle: bundle.id, owner: owner, step: "writing",
                                    options: options)
        progress.note(0)
        let built = try writer(request, vault, temp, { done, total in
            progress.note(total > 0 ? Double(done) / Double(total) : 0)
            if done > 0 { TransferTestHook.reached("writing", isCancelled: isCancelled) }
        }, isCancelled)
        if isCancelled() { throw CustodyError.failure("cancelled") }
        let fd = try FS.open(temp, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        try FS.fsync(fd, path: temp)
        let target = directory.bundleZip(bundle.id)
        try vault.finishBundleJob(bundle.id, owner: owner, size: built.size, sha256: built.sha256.hex,
                                  checkpointSize: Int64(built.checkpointSize), expiresAt: expiresAt) {
            try FS.rename(temp, target)
            try FS.fsyncDirectory(folder)
        }
    }
}

/// Notes a step's progress in the job's row at most once a second (and at its start and end).
final class ProgressNote {
    let vault: Vault
    let bundle: String
    let owner: String
    let step: String
    let clock: CustodyClock
    let onStep: (@Sendable (String, String) -> Void)?
    private var last = -Double.infinity
    private var announced = false

    init(vault: Vault, bundle: String, owner: String, step: String, options: TransferWorker.Options) {
        self.vault = vault
        self.bundle = bundle
        self.owner = owner
        self.step = step
        self.clock = options.clock
        self.onStep = options.onStep
    }

    func note(_ fraction: Double) {
        if !announced {
            announced = true
            onStep?(bundle, step)
        }
        let now = clock.uptime()
        guard now - last >= 1 || fraction <= 0 || fraction >= 1 else { return }
        last = now
        try? vault.noteBundleProgress(bundle, owner: owner, step: step, progress: fraction)
    }
}
