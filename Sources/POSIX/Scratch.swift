import Foundation
@preconcurrency import Glibc

/// Temporary files and folders: every one is named `<pid>-<tag>-...` after the process that made it
/// (`prefix`), inside one scratch folder, so that what a killed process left can be told from what a
/// live one is still writing, and removed.
public enum Scratch {
    /// Starts the name of every scratch entry this process makes: `<pid>-<tag>-`. The random tag tells
    /// this process's entries from those of a crashed process that had the same PID.
    public static let prefix = "\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))-"

    /// A name for a new scratch entry of this process, unique within it: `<pid>-<tag>-<n><suffix>`.
    public static func name(_ suffix: String = "") -> String {
        counterLock.lock()
        defer { counterLock.unlock() }
        counter += 1
        return "\(prefix)\(counter)\(suffix)"
    }

    private static let counterLock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// Removes the entries of `folder` (files, or folders with what they hold) that processes which are
    /// gone left: neither this process's own nor a live process's. Returns how many it removed.
    @discardableResult
    public static func removeAbandoned(in folder: String) -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }) else { continue }
            // This process's own, or a live process's; a crashed process that had this PID left the rest.
            if name.hasPrefix(prefix) || (pid != getpid() && FS.processAlive(pid)) { continue }
            let path = "\(folder)/\(name)"
            if unlink(path) == 0 || (errno == EISDIR && (try? FileManager.default.removeItem(atPath: path)) != nil) {
                removed += 1
            }
        }
        return removed
    }
}
