import CustodyCore
import Foundation
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension ZipWriter {
    /// Adds the file at `path` as entry `name`, its size known up front from `fstat`, read in 1 MiB
    /// pieces into one buffer. A file that grows or shrinks while it is read fails the entry (and the
    /// archive) rather than storing bytes that disagree with the header.
    public func addFile(name: String, path: String, modified: Date, permissions: UInt16 = 0o644) throws {
        let fd: Int32
        var st = stat()
        do {
            fd = try FS.open(path, O_RDONLY)
        } catch let error as SystemError where error.errno == ENOENT {
            throw CustodyError.notFound(.file, "no file at \(path) to put into the ZIP")
        } catch {
            throw CustodyError.failure("opening \(path) for the ZIP failed", cause: error)
        }
        defer { close(fd) }
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw CustodyError.invalidInput(field: "path", "\(path) is no regular file to put into the ZIP")
        }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        try add(name: name, size: UInt64(st.st_size), modified: modified, permissions: permissions) { entry in
            while true {
                let n: Int
                do {
                    n = try FS.readFull(fd, buffer, path: path)
                } catch {
                    throw CustodyError.failure("reading \(path) for the ZIP failed", cause: error)
                }
                if n == 0 { break }
                try entry.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        }
    }
}
