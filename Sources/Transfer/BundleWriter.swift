import BagIt
import CourtBundle
import Crypto
import CustodyCore
import Foundation
import Ledger
import POSIX
import Vault
import Zip
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Writes a court bundle: one ZIP holding a BagIt bag named after the bundle, with each clip read
/// through the vault (every chunk checked, the whole checked against the ledger), the custody events
/// of each clip and its parent with their inclusion proofs, the checkpoint, the ledger key and a
/// signature over the tag manifest. One streaming pass over the clips in flat memory. The format is
/// the README's *Court bundle format*; the paths are `CourtBundle.BundleLayout`'s.
///
/// The writer records no custody event (the transfer job records the bundle's); it signs a checkpoint
/// when the ledger grew since the newest one.
public enum BundleWriter {
    /// Thrown when `isCancelled` returned true: the file at the path is removed.
    public struct Cancelled: Error, CustomStringConvertible {
        public let bundle: String
        public var description: String { "writing bundle \(bundle) was cancelled" }
    }

    public struct Options: Sendable {
        /// How the ZIP's SHA-256 is had (see README *Performance*).
        public enum Hash: Sendable {
            /// Every entry's size and CRC-32 in its local header (the CRC written back), then the
            /// finished file read again and hashed.
            case rereadFile
            /// Hashed as it is written; the CRC-32 then follows each entry in a data descriptor.
            case streamed
        }
        public var hash: Hash
        public var zip: ZipWriter.Options

        public init(hash: Hash = .rereadFile, zip: ZipWriter.Options = ZipWriter.Options()) {
            self.hash = hash
            self.zip = zip
        }
    }

    /// Writes the bundle `request` describes to `path` (created, or truncated when it exists; a file
    /// there is removed again on any error). The caller syncs it and renames it into place.
    /// - progress: clip bytes written so far and in all, after each chunk.
    /// - isCancelled: asked between chunks; true stops with `Cancelled`.
    /// Both may be called on another thread than the caller's (the vault reads the next chunk on one
    /// core while the ZIP is written on the other), one call at a time, never while the caller runs.
    /// - Throws: `CustodyError` (integrity: a clip, its chunks or the ledger disagree; diskFull and
    ///   failure naming `path`), `Cancelled`.
    public static func write(_ request: BundleRequest, vault: Vault, to path: String,
                             progress: ((Int64, Int64) -> Void)?, isCancelled: (() -> Bool)?) throws -> BuiltBundle {
        try write(request, vault: vault, to: path, options: Options(), progress: progress, isCancelled: isCancelled)
    }

    public static func write(_ request: BundleRequest, vault: Vault, to path: String, options: Options,
                             progress: ((Int64, Int64) -> Void)?, isCancelled: (() -> Bool)?) throws -> BuiltBundle {
        guard BundleID.number(of: request.id) != nil else {
            throw CustodyError.invalidInput(field: "bundle", "\(request.id) is no bundle ID (BN- and 6+ digits)")
        }
        let contents = try BundleContents(request, vault: vault)
        let fd: Int32
        do { fd = try FS.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640) } catch {
            throw CustodyError.failure("cannot create the bundle file \(path)", cause: error)
        }
        var closed = false
        defer { if !closed { close(fd) } }
        // Removed again on failure only when it is a file (never a device such as /dev/full).
        var st = stat()
        let regular = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
        do {
            let file = FileDescriptorOutput(fd: fd, path: path)
            let hashing = options.hash == .streamed ? HashingOutput(file) : nil
            let zip = ZipWriter(output: hashing ?? file, options: options.zip)
            var writing = BundleWriting(request: request, contents: contents, vault: vault, zip: zip,
                                        progress: progress, isCancelled: isCancelled)
            let files = try writing.run()
            let size = try zip.finish()
            closed = true
            guard close(fd) == 0 else {
                throw CustodyError.failure("writing the bundle \(path) failed",
                                           cause: SystemError(call: "close", path: path, errno: errno))
            }
            let sha256 = try hashing?.finalize() ?? hashFile(path)
            return BuiltBundle(size: Int64(size), sha256: sha256, checkpointSize: contents.checkpoint.size,
                               files: files)
        } catch {
            if regular { unlink(path) }
            throw error
        }
    }

    /// The SHA-256 of the file at `path` (just written, so in the page cache), read in 4 MiB pieces:
    /// one core hashes a piece while the other reads the next. (Mapping the file instead would count
    /// it in the process's resident memory and turn a read error into SIGBUS.)
    static func hashFile(_ path: String) throws -> SHA256Digest {
        let fd: Int32
        do { fd = try FS.open(path, O_RDONLY | O_CLOEXEC) } catch {
            throw CustodyError.failure("cannot read back the bundle \(path)", cause: error)
        }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 4096) }
        defer { buffers.forEach { $0.deallocate() } }
        let hash = SHA256()
        func read(_ i: Int) -> Result<UnsafeRawBufferPointer, any Error> {
            let buffer = buffers[i % 2]
            return Result { UnsafeRawBufferPointer(rebasing: buffer[0..<(try FS.readFull(fd, buffer, path: path))]) }
        }
        var next = read(0)
        for i in 0... {
            let current: UnsafeRawBufferPointer
            do { current = try next.get() } catch {
                throw CustodyError.failure("reading back the bundle \(path) failed", cause: error)
            }
            if current.isEmpty { break }
            Parallel.both({ hash.update(current) }, { next = read(i + 1) })
        }
        return hash.finalize()
    }
}

/// Hashes the archive's bytes as they go to the file. It cannot overwrite (the hash has passed), so
/// the ZIP writer gives every entry a data descriptor.
final class HashingOutput: ZipOutput {
    private let file: FileDescriptorOutput
    private let hash = SHA256()

    init(_ file: FileDescriptorOutput) { self.file = file }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hash.update(bytes)
        try file.write(bytes)
    }

    func finalize() -> SHA256Digest { hash.finalize() }
}
