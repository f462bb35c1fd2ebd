import Foundation
import Uploads
import Vault

/// Upload IDs with a request in progress: tus allows one at a time per upload (423 otherwise).
final class BusyUploads: @unchecked Sendable {
    private let lock = NSLock()
    private var ids = Set<String>()

    /// Runs `body` holding the upload; 423 if a request holds it already.
    func holding<T>(_ id: String, _ body: () throws -> T) throws -> T {
        guard let result = try ifFree(id, body) else {
            throw Tus.Refusal(status: Tus.locked, message: "another request is writing this upload", reason: "locked")
        }
        return result
    }

    /// Whether a request (or an ingest) holds the upload now.
    func isHeld(_ id: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return ids.contains(id)
    }

    /// Runs `body` holding the upload, or returns nil without running it if someone holds it.
    func ifFree<T>(_ id: String, _ body: () throws -> T) throws -> T? {
        lock.lock()
        let inserted = ids.insert(id).inserted
        lock.unlock()
        guard inserted else { return nil }
        defer {
            lock.lock()
            ids.remove(id)
            lock.unlock()
        }
        return try body()
    }
}

/// Hashers of uploads in progress, so each byte is hashed as it arrives. A hasher missing (after a
/// restart, or evicted) is rebuilt from the upload's durable pieces. A hasher holds no data.
final class UploadHashers: @unchecked Sendable {
    private let lock = NSLock()
    private var byUpload = [String: UploadHasher]()
    private var order = [String]()
    static let maxKept = 256

    /// The hasher for `upload`, taken out while a request feeds it.
    func take(_ upload: Upload, store: UploadStore) throws -> UploadHasher {
        lock.lock()
        let kept = byUpload.removeValue(forKey: upload.id)
        order.removeAll { $0 == upload.id }
        lock.unlock()
        if let kept, kept.received == upload.offset { return kept }
        return try store.rebuildHasher(upload)
    }

    /// Whether a hasher is kept for upload `id`: not while a request has taken it to append.
    func isKept(_ id: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return byUpload[id] != nil
    }

    func put(_ id: String, _ hasher: UploadHasher) {
        lock.lock()
        defer { lock.unlock() }
        byUpload[id] = hasher
        order.append(id)
        if order.count > Self.maxKept { byUpload.removeValue(forKey: order.removeFirst()) }
    }
}

/// When an upload whose ingest failed may be tried again: 1 minute after the first failure,
/// doubling up to an hour.
final class IngestRetries: @unchecked Sendable {
    private let lock = NSLock()
    private var next = [String: (at: Double, wait: Double)]()

    func due(_ id: String, now: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return (next[id]?.at ?? 0) <= now
    }

    /// Records a failure; returns the seconds until the next attempt.
    func failed(_ id: String, now: Double) -> Double {
        lock.lock()
        defer { lock.unlock() }
        let wait = min((next[id]?.wait ?? 30) * 2, 3600)
        next[id] = (now + wait, wait)
        return wait
    }

    func succeeded(_ id: String) {
        lock.lock()
        defer { lock.unlock() }
        next[id] = nil
    }

    /// Every upload due now (the store they waited for answers again).
    func reset() {
        lock.lock()
        defer { lock.unlock() }
        next.removeAll()
    }
}

/// Ingests of uploads whose last byte arrived before the service started, on a thread of their own
/// once the service listens: a pending recording of many GiB would otherwise keep every dock out
/// while it is read. Each takes the upload's lock like a request, so whoever comes first ingests it
/// (a HEAD meanwhile reports it fully received; a PATCH gets 423). A stopping service starts no
/// other, and the one under way gives up before it reads its next piece, the upload left as it was:
/// the next start finds them all. The sweeper's ingests stop with them.
final class StartupIngests: @unchecked Sendable {
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var stopping = false
    /// Test hook: runs while a background ingest holds an upload, before it reads it. Set before `start`.
    var whileHeld: (@Sendable (Upload) -> Void)?

    /// Whether `stop` was called: a background ingest under way gives up.
    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    func start(_ uploads: [Upload], _ ingest: @escaping @Sendable (Upload) -> Void) {
        guard !uploads.isEmpty else { return }
        group.enter()
        let thread = Thread { [self] in
            defer { group.leave() }
            for upload in uploads {
                if isStopping { return }
                ingest(upload)
            }
        }
        thread.name = "custody-startup-ingests"
        thread.start()
    }

    /// Starts no more ingests and stops the one under way; returns once it has.
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        group.wait()
    }
}
