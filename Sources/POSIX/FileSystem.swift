import CSystem
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Thin, errno-checked wrappers over the POSIX file calls custody needs; EINTR is retried.
public enum FS {
    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws -> Int32 {
        try systemCall("open", path: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Writes all of `bytes` to `fd`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = try systemCall("write", path: path) {
                Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }
            offset += n
        }
    }

    /// `O_DIRECT`, which Glibc's Swift overlay does not export (it needs `_GNU_SOURCE`), from the C
    /// shim. `setDirect` checks that the kernel took it.
    public static let directFlag: Int32 = custody_o_direct()
    /// Buffer address, file offset and length alignment that direct I/O needs on any block device.
    public static let directAlignment = 4096

    /// Opens `path` for writing with `O_DIRECT` where the filesystem allows it (tmpfs does not) and
    /// returns whether it did. Direct writes go from the caller's buffer to the device: no copy into
    /// the page cache, no dirty pages to write back later. Durability still needs `fsync`.
    public static func openForDirectWrite(_ path: String, _ flags: Int32,
                                          _ mode: mode_t) throws -> (fd: Int32, direct: Bool) {
        // Opened first, then switched: an open with O_DIRECT that the filesystem refuses has already
        // created the file (so a retry with O_EXCL would fail), and fcntl refuses it just the same.
        let fd = try open(path, flags, mode)
        return (fd, (try? setDirect(fd, true, path: path)) ?? false)
    }

    /// Writes all of `bytes` at the current position of `fd`. When `fd` was opened direct and the
    /// buffer and position are aligned, the aligned prefix goes straight to the device and only the
    /// remainder (under 4 KiB) through the page cache; otherwise everything goes through the cache.
    /// Leaves `fd` in buffered mode when it wrote a remainder. Returns whether every byte went direct
    /// (none waits in the page cache for writeback).
    @discardableResult
    public static func writeMostlyDirect(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, direct: Bool,
                                         path: String) throws -> Bool {
        var rest = bytes
        let start = lseek(fd, 0, SEEK_CUR)
        if direct, let base = bytes.baseAddress, Int(bitPattern: base) % directAlignment == 0,
           start >= 0, start % off_t(directAlignment) == 0 {
            let aligned = bytes.count - bytes.count % directAlignment
            do {
                try writeAll(fd, UnsafeRawBufferPointer(rebasing: bytes[0..<aligned]), path: path)
                rest = UnsafeRawBufferPointer(rebasing: bytes[aligned...])
            } catch let e as SystemError where e.errno == EINVAL {
                // A device with stricter alignment than 4 KiB: fall back to the page cache. A failed
                // direct write leaves the position where it was (short writes advance it, and
                // `writeAll` only throws on the call that wrote nothing).
                let at = lseek(fd, 0, SEEK_CUR)
                guard at >= start, at - start <= off_t(bytes.count) else { throw e }
                rest = UnsafeRawBufferPointer(rebasing: bytes[Int(at - start)...])
            }
        }
        guard !rest.isEmpty else { return true }
        if direct { try setDirect(fd, false, path: path) }
        try writeAll(fd, rest, path: path)
        return false
    }

    /// Turns `O_DIRECT` on or off for an open file; returns whether the kernel now has it as asked
    /// (it silently drops a flag value it does not know).
    @discardableResult
    public static func setDirect(_ fd: Int32, _ on: Bool, path: String) throws -> Bool {
        let flags = try systemCall("fcntl", path: path) { fcntl(fd, F_GETFL) }
        try systemCall("fcntl", path: path) { fcntl(fd, F_SETFL, on ? flags | directFlag : flags & ~directFlag) }
        let now = try systemCall("fcntl", path: path) { fcntl(fd, F_GETFL) }
        return (now & directFlag != 0) == on
    }

    /// Reads until `buffer` is full or end of file; returns the bytes read.
    public static func readFull(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try systemCall("read", path: path) {
                Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    public static func fsync(_ fd: Int32, path: String) throws {
        try systemCall("fsync", path: path) { Glibc.fsync(fd) }
    }

    /// fsyncs a directory so that a rename or create inside it is durable.
    public static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    public static func rename(_ from: String, _ to: String) throws {
        try systemCall("rename", path: "\(from) -> \(to)") { Glibc.rename(from, to) }
    }

    /// Removes the file at `path`; one already gone is no error.
    public static func remove(_ path: String) throws {
        guard Glibc.unlink(path) == 0 || errno == ENOENT else {
            throw SystemError(call: "unlink", path: path, errno: errno)
        }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Whether anything is at `path`, a dangling symlink included.
    public static func entryExists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// The canonical absolute path (symlinks resolved), or nil if it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `a` and `b` are on one filesystem, so that a rename from one to the other can work.
    public static func sameFileSystem(_ a: String, _ b: String) throws -> Bool {
        var sa = stat(), sb = stat()
        try systemCall("stat", path: a) { stat(a, &sa) }
        try systemCall("stat", path: b) { stat(b, &sb) }
        return sa.st_dev == sb.st_dev
    }

    public static func mkdir(_ path: String, _ mode: mode_t = 0o755) throws {
        if Glibc.mkdir(path, mode) != 0 && errno != EEXIST {
            throw SystemError(call: "mkdir", path: path, errno: errno)
        }
    }

    /// Writes a small file durably and atomically: temp (in `scratch`, on the same filesystem) -> fsync
    /// -> rename -> fsync dir.
    public static func writeFileDurably(_ path: String, _ bytes: [UInt8], mode: mode_t, scratch: String) throws {
        let temp = scratch + "/" + Scratch.name()
        let fd = try open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode)
        do {
            try bytes.withUnsafeBytes { try writeAll(fd, $0, path: temp) }
            _ = fchmod(fd, mode)
            try fsync(fd, path: temp)
            close(fd)
            try rename(temp, path)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        try fsyncDirectory((path as NSString).deletingLastPathComponent)
    }

    public static func fileSize(_ path: String) throws -> Int64 {
        var st = stat()
        try systemCall("stat", path: path) { stat(path, &st) }
        return Int64(st.st_size)
    }

    /// The bytes an unprivileged writer can still put on the file system that holds `path`.
    public static func freeBytes(_ path: String) throws -> Int64 {
        var fs = statvfs()
        try systemCall("statvfs", path: path) { statvfs(path, &fs) }
        return Int64(fs.f_bavail) * Int64(fs.f_frsize)
    }

    /// True when the process `pid` exists (used to tell live temp files from a crashed run's leftovers).
    public static func processAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
