import CustodyCore
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension FileChunkStore {
    /// Reads the folders in order from the cursor's, each sorted in memory: a page costs the
    /// folders it spans, not the whole store. Only files named by their own lower-case SHA-256 in
    /// their folder count (not `.tmp/`, nor anything else left there).
    public func list(after cursor: SHA256Digest?, limit: Int) throws -> [SHA256Digest] {
        precondition(limit > 0, "a page holds at least one name")
        var page: [SHA256Digest] = []
        for byte in Int(cursor?.bytes[0] ?? 0)...255 {
            let prefix = String(format: "%02x", byte)
            let names = try chunkNames(in: root + "/" + prefix, prefix: prefix)
                .filter { cursor == nil || $0 > cursor! }.sorted()
            page += names.prefix(limit - page.count)
            if page.count == limit { break }
        }
        return page
    }

    /// Deletes the chunk's file and makes that durable (an fsync of its folder).
    public func delete(_ digest: SHA256Digest) throws {
        let file = path(for: digest)
        if unlink(file) != 0 {
            if errno == ENOENT { return }
            throw SystemError(call: "unlink", path: file, errno: errno)
        }
        try FS.fsyncDirectory(root + "/" + digest.hex.prefix(2))
    }

    /// The chunk names in one folder; none when the folder is missing.
    private func chunkNames(in folder: String, prefix: String) throws -> [SHA256Digest] {
        guard let dir = opendir(folder) else {
            if errno == ENOENT { return [] }
            throw SystemError(call: "opendir", path: folder, errno: errno)
        }
        defer { closedir(dir) }
        var names: [SHA256Digest] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw SystemError(call: "readdir", path: folder, errno: errno) }
                return names
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard name.hasPrefix(prefix), let digest = SHA256Digest(hex: name), digest.hex == name else { continue }
            names.append(digest)
        }
    }
}
