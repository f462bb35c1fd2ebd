import Foundation
@preconcurrency import Glibc

/// Temporary files and folders: every one is named `<pid>-<tag>-<n><suffix>` after the process that
/// made it (`prefix`), inside one scratch folder, so that what a killed process left can be told from
/// what a live one is still writing, and removed. Nothing else in the folder is ever touched.
public enum Scratch {
    /// Starts the name of every scratch entry this process makes: `<pid>-<tag>-`. The random tag tells
    /// this process's entries from those of a crashed process that had the same PID.
    public static let prefix = "\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))-"

    /// A name for a new scratch entry of this process, unique within it: `<pid>-<tag>-<n><suffix>`.
    /// `suffix` is empty or `-` and lower-case letters (`-chunk`), so `owner` recognises the name.
    public static func name(_ suffix: String = "") -> String {
        precondition(suffix.isEmpty || isSuffix(suffix), "a scratch suffix is - and lower-case letters")
        counterLock.lock()
        defer { counterLock.unlock() }
        counter += 1
        return "\(prefix)\(counter)\(suffix)"
    }

    /// The PID of the process that made the scratch entry `name` (a name `name()` makes), or nil for
    /// any other name.
    public static func owner(of name: String) -> Int32? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 4, isNumber(parts[2]),
              (1...8).contains(parts[1].utf8.count),
              parts[1].utf8.allSatisfy({ isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }),
              parts.count == 3 || isSuffix("-" + parts[3]) else { return nil }
        return pid(parts[0])
    }

    private static let counterLock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// Removes the entries of `folder` (files, or folders with what they hold) that processes which are
    /// gone left: those whose name `owner` gives a PID (by default, the names `name()` makes) that is
    /// neither this process's own entry nor a live process's. Other entries are left alone, and so is
    /// a `folder` that is a symlink (it may lead to others' files). Returns how many it removed.
    @discardableResult
    public static func removeAbandoned(in folder: String, owner: (String) -> Int32? = owner(of:)) -> Int {
        var st = stat()
        guard lstat(folder, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return 0 }
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            guard let pid = owner(name) else { continue }
            // This process's own, or a live process's; a crashed process that had this PID left the rest.
            if name.hasPrefix(prefix) || (pid != getpid() && FS.processAlive(pid)) { continue }
            let path = "\(folder)/\(name)"
            if unlink(path) == 0 || (errno == EISDIR && (try? FileManager.default.removeItem(atPath: path)) != nil) {
                removed += 1
            }
        }
        return removed
    }

    /// Removes the files of `folder` named as `name()` names them (another process's) whose last write is more
    /// than `seconds` ago: what `removeAbandoned` cannot judge, the temporaries of writers on other machines
    /// sharing the folder (a file store over NFS), whose PIDs mean nothing here. A live writer's temporary is
    /// written and renamed within minutes, so age tells a killed writer's. Folders, links and other names are
    /// left alone. Returns how many it removed.
    @discardableResult
    public static func removeStale(in folder: String, olderThan seconds: Double, now: Date = Date()) -> Int {
        var st = stat()
        guard lstat(folder, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return 0 }
        let cutoff = now.timeIntervalSince1970 - seconds
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            guard owner(of: name) != nil, !name.hasPrefix(prefix) else { continue }
            let path = "\(folder)/\(name)"
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG,
                  Double(st.st_mtim.tv_sec) < cutoff, unlink(path) == 0 else { continue }
            removed += 1
        }
        return removed
    }

    /// A positive PID written in decimal digits, or nil.
    public static func pid(_ text: Substring) -> Int32? {
        guard isNumber(text), let pid = Int32(text), pid > 0 else { return nil }
        return pid
    }

    private static func isNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 19 && text.utf8.allSatisfy(isDigit)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func isSuffix(_ suffix: String) -> Bool {
        suffix.utf8.count >= 2 && suffix.utf8.first == UInt8(ascii: "-")
            && suffix.utf8.dropFirst().allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
    }
}
