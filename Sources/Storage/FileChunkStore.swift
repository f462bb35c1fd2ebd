import CustodyCore
import Crypto
import Foundation
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Chunks as files `chunks/ab/<sha256>` (first two hex digits as folder), written
/// temp -> fsync -> rename -> fsync dir. Temporaries are scratch entries (`<pid>-<tag>-<n>-chunk`)
/// in the scratch folder it is given: the data directory's `tmp/`.
///
/// Beyond `ChunkStore`, what only a local store can do: `adopt` takes durable files on the same
/// filesystem as chunks by renaming them (an upload's pieces: no byte is copied), and `put` and
/// `adopt` check a chunk already stored against its name and replace a damaged file with the good
/// bytes, reporting it through `takeRepaired`.
///
/// Staged writes are batched: each `put` writes its temp file (with direct I/O where the filesystem
/// allows it, else asking the kernel to start writeback at once), `sync` (every 32 chunks or when
/// the caller asks) fsyncs, renames and fsyncs the folders. Not thread-safe: one writer thread per
/// instance.
public final class FileChunkStore: ChunkStore, @unchecked Sendable {
    public let root: String
    private let tempDir: String
    /// `heals`: the chunk file there is damaged, and the new one replaces it.
    private var pending: [(fd: Int32, temp: String, final: String, digest: SHA256Digest, heals: Bool)] = []
    private var pendingNames = Set<SHA256Digest>()
    /// Folders of chunks `put` found already stored: fsynced at the next `sync` all the same, since the
    /// file may be another writer's rename whose folder fsync has not run yet.
    private var foundFolders = Set<String>()
    private var repaired = [SHA256Digest]()
    private let repairedLock = NSLock()
    private let batch = 32

    /// A store in `root`, writing its temporaries in `scratch` (default `root/.tmp`), which must be on
    /// the same filesystem: they are renamed into place.
    public init(root: String, scratch: String? = nil) throws {
        self.root = root
        self.tempDir = scratch ?? root + "/.tmp"
        try FS.mkdir(root, 0o700)
        try FS.mkdir(tempDir, 0o700)
        try makeFolders()
    }

    /// How old a temporary in a shared store's `.tmp` must be before a sweep takes it for a killed writer's.
    public static let staleTemporaryAge: Double = 6 * 3600

    /// Removes the temporaries in `root/.tmp` (where writers sharing the store, remote workers, write theirs)
    /// older than `staleTemporaryAge`: a killed worker's, which no PID check on this machine can judge. Returns
    /// how many it removed.
    @discardableResult
    public static func sweepStaleTemporaries(root: String, now: Date = Date()) -> Int {
        Scratch.removeStale(in: root + "/.tmp", olderThan: staleTemporaryAge, now: now)
    }

    /// The 256 folders, made once (`ff` last, so its presence means all are there): otherwise a new
    /// vault's first chunks each pay a mkdir and an fsync of the root while a recording waits.
    private func makeFolders() throws {
        guard !FS.exists(root + "/ff") else { return }
        for byte in 0...255 { try FS.mkdir(root + "/" + String(format: "%02x", byte), 0o700) }
        try FS.fsyncDirectory(root)
    }

    deinit {
        // Staged but never synced: nothing refers to them, drop them.
        for p in pending {
            close(p.fd)
            unlink(p.temp)
        }
    }

    public func path(for digest: SHA256Digest) -> String {
        let hex = digest.hex
        return "\(root)/\(hex.prefix(2))/\(hex)"
    }

    public func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws {
        if pendingNames.contains(digest) { return }
        // A chunk already stored is reused only once its bytes are checked: new evidence must not be
        // catalogued on top of a damaged file. A damaged one is replaced by these bytes.
        var heals = false
        if contains(digest) {
            guard !holdsIntact(digest) else {
                foundFolders.insert((path(for: digest) as NSString).deletingLastPathComponent)
                return
            }
            heals = true
        }
        let temp = "\(tempDir)/\(Scratch.name("-chunk"))"
        let (fd, direct) = try FS.openForDirectWrite(temp, O_WRONLY | O_CREAT | O_EXCL, 0o444)
        do {
            // Direct I/O where it can: copying gigabytes into the page cache costs more CPU than
            // hashing them on a small VM, and evidence just stored is not read again soon.
            try FS.writeMostlyDirect(fd, bytes, direct: direct, path: temp)
            // For what went through the page cache, DONTNEED starts writeback now (and keeps the
            // cache from filling with evidence), so the later fsync mostly waits for nothing.
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        pending.append((fd, temp, path(for: digest), digest, heals))
        pendingNames.insert(digest)
        if pending.count >= batch { try sync() }
    }

    public func sync() throws {
        guard !pending.isEmpty || !foundFolders.isEmpty else { return }
        var dirs = foundFolders
        var newDirs = false
        defer {
            for p in pending { close(p.fd); unlink(p.temp) }
            pending.removeAll()
            pendingNames.removeAll()
            foundFolders.removeAll()
        }
        for p in pending {
            try FS.fsync(p.fd, path: p.temp)
        }
        for p in pending {
            // A chunk already there (another writer's) is fsynced too: its entry may be that recent.
            dirs.insert(try folder(of: p.final, made: &newDirs))
            if FS.exists(p.final) && !p.heals { continue }
            try FS.rename(p.temp, p.final)
            if p.heals { noteRepaired(p.digest) }
        }
        try fsyncFolders(dirs, newDirs: newDirs)
    }

    /// The folder of the chunk file `final`, made if it is missing (one was removed after the store
    /// was first opened); `made` becomes true then, and the root needs an fsync.
    private func folder(of final: String, made: inout Bool) throws -> String {
        let dir = (final as NSString).deletingLastPathComponent
        if !FS.exists(dir) {
            try FS.mkdir(dir, 0o700)
            made = true
        }
        return dir
    }

    private func fsyncFolders(_ dirs: Set<String>, newDirs: Bool) throws {
        for dir in dirs { try FS.fsyncDirectory(dir) }
        if newDirs { try FS.fsyncDirectory(root) }
    }

    /// Takes each durable file at `path` (whose SHA-256 the caller computed: `digest`) as a chunk,
    /// durably; the files are gone afterwards. A file may be gone already when the store holds its
    /// chunk (a batch interrupted and run again): the chunk is then made durable if it is not yet.
    /// Renames, not copies: the files must be on the store's filesystem and already durable (one on
    /// another filesystem is copied). A chunk that exists already and holds its bytes is kept, and its
    /// file (if still there) removed; its folder is fsynced all the same, since it may be a rename from
    /// an earlier, interrupted batch. A damaged one is replaced. The folders are fsynced once all are
    /// renamed, so the whole batch costs about one journal commit.
    public func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws {
        var dirs = Set<String>()
        var newDirs = false
        for (path, digest) in files {
            let final = self.path(for: digest)
            let dir = try folder(of: final, made: &newDirs)
            let replacing = FS.exists(final)
            if replacing && (!FS.exists(path) || holdsIntact(digest)) {
                unlink(path)
                dirs.insert(dir)
                continue
            }
            if replacing { noteRepaired(digest) }
            try systemCall("chmod", path: path) { chmod(path, 0o444) }
            do {
                try FS.rename(path, final)
                dirs.insert(dir)
            } catch let e as SystemError where e.errno == EXDEV {
                // chunks/ on another filesystem than the file: copy it the ordinary way.
                try adoptByCopy([(path, digest)])
            }
        }
        try fsyncFolders(dirs, newDirs: newDirs)
    }

    public func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let (fd, size) = try openChunk(digest)
        defer { close(fd) }
        if size > buffer.count { throw ChunkStoreError.tooLarge(digest, size) }
        return try FS.readFull(fd, buffer, path: path(for: digest))
    }

    /// Opens a chunk file for reading: never blocks on a FIFO put in its place, and refuses anything
    /// but a regular file. Returns the descriptor and the file's size.
    func openChunk(_ digest: SHA256Digest) throws -> (Int32, Int) {
        let file = path(for: digest)
        let fd = Glibc.open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { throw ChunkStoreError.missing(digest) }
            throw SystemError(call: "open", path: file, errno: errno)
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw ChunkStoreError.notAFile(digest)
        }
        return (fd, Int(st.st_size))
    }

    private func noteRepaired(_ digest: SHA256Digest) {
        repairedLock.lock()
        repaired.append(digest)
        repairedLock.unlock()
    }

    public func takeRepaired() -> [SHA256Digest] {
        repairedLock.lock()
        defer { repaired.removeAll(); repairedLock.unlock() }
        return repaired
    }

    /// Whether the stored chunk file hashes to its name.
    private func holdsIntact(_ digest: SHA256Digest) -> Bool {
        guard let (fd, size) = try? openChunk(digest) else { return false }
        defer { close(fd) }
        guard size <= ChunkSize.maximum else { return false }
        let hash = SHA256()
        var left = size
        let ok = withUnsafeTemporaryAllocation(byteCount: 1 << 20, alignment: 16) { buffer -> Bool in
            while left > 0 {
                let n = retryingInterrupts { Glibc.read(fd, buffer.baseAddress, min(buffer.count, left)) }
                guard n > 0 else { return false }
                hash.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                left -= n
            }
            return true
        }
        return ok && hash.finalize() == digest
    }

    /// Whether a chunk file is there (any error of `stat` counting as not).
    func contains(_ digest: SHA256Digest) -> Bool {
        FS.exists(path(for: digest))
    }

    public func removeAbandonedTemporaries() throws -> Int {
        Scratch.removeAbandoned(in: tempDir)
    }
}
