import CustodyCore
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where a `ZipWriter` puts the archive's bytes, in order, each exactly once. A file descriptor is the
/// usual one (`FileDescriptorOutput`); another output can tee the bytes (hash the archive as it is
/// written) or keep them in memory in tests.
public protocol ZipOutput: AnyObject {
    /// Takes all of `bytes` or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Whether `overwrite` works. When it does, an entry of known size gets its CRC-32 written into
    /// its local header once its data has passed (4 bytes, behind the stream); otherwise such an entry
    /// gets a data descriptor as a streamed one does.
    var canOverwrite: Bool { get }
    /// Replaces bytes written earlier; `offset` counts from the archive's first byte.
    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws
}

extension ZipOutput {
    public var canOverwrite: Bool { false }
    public func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        try ZipOutputDefaults.refuseOverwrite()
    }
}

enum ZipOutputDefaults {
    static func refuseOverwrite() throws -> Never {
        throw CustodyError.failure("this ZIP output cannot overwrite what it has written")
    }
}

/// Writes to an open file descriptor from its current position on; it neither syncs nor closes it. On
/// a regular file opened without `O_APPEND` it can overwrite (with `pwrite`, the position untouched).
public final class FileDescriptorOutput: ZipOutput {
    public let fd: Int32
    /// Named in errors: the file, or what the descriptor is.
    public let path: String
    /// Where the archive starts in the file, when it is a regular file that `pwrite` can patch.
    private let start: off_t?

    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        var st = stat()
        let position = lseek(fd, 0, SEEK_CUR)
        let flags = fcntl(fd, F_GETFL)
        let patchable = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && position >= 0
            && flags >= 0 && flags & O_APPEND == 0
        start = patchable ? position : nil
    }

    public var canOverwrite: Bool { start != nil }

    public func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        guard let start else { try ZipOutputDefaults.refuseOverwrite() }
        do {
            let n = try systemCall("pwrite", path: path) {
                pwrite(fd, bytes.baseAddress, bytes.count, start + off_t(offset))
            }
            guard n == bytes.count else { throw SystemError(call: "pwrite", path: path, errno: EIO) }
        } catch {
            throw CustodyError.failure("writing the ZIP \(path) failed", cause: error)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try FS.writeAll(fd, bytes, path: path)
        } catch let error as SystemError where error.isDiskFull {
            throw CustodyError.diskFull("the disk holding \(path) is full; the ZIP is incomplete")
        } catch {
            throw CustodyError.failure("writing the ZIP \(path) failed", cause: error)
        }
    }
}
