import Foundation

/// ZIP responses under way that will send a bundle's last byte, by bundle: each may yet become a
/// counted download, so `max_downloads` counts them too. Without this, downloads started together
/// all pass the limit (it is checked when a response starts, counted when it ends).
final class DownloadsUnderWay: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = [String: Int64]()

    /// Takes a place for a response of bundle `id`, unless `downloads()` (the completed ones, read
    /// now) and those under way reach `limit`; false then.
    func reserve(_ id: String, limit: Int64, downloads: () throws -> Int64) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard try downloads() + counts[id, default: 0] < limit else { return false }
        counts[id, default: 0] += 1
        return true
    }

    /// Runs `record` (which counts the download if it completed), then gives the place back, with no
    /// `reserve` in between: a completed download is counted or still under way, never neither.
    func release(_ id: String, after record: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        record()
        counts[id, default: 1] -= 1
        if counts[id] == 0 { counts[id] = nil }
    }
}
