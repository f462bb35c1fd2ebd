import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A file read once from start to end into a reused buffer, for copying into a bag.
final class SourceFile {
    let path: String
    let size: UInt64
    private var fd: Int32

    init(path: String) throws {
        self.path = path
        fd = try FS.open(path, O_RDONLY)
        var st = stat()
        if fstat(fd, &st) != 0 {
            let error = SystemError(call: "fstat", path: path, errno: errno)
            Glibc.close(fd)
            throw error
        }
        size = UInt64(st.st_size)
    }

    /// Passes the whole file to `write` in pieces of at most `BagBuilder.bufferSize` bytes. A file that
    /// ends early or goes on past its size is an error (the caller's size check names the bag path).
    func copy(to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BagBuilder.bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var left = size
        while left > 0 {
            let want = Int(min(UInt64(buffer.count), left))
            let n = try FS.readFull(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), path: path)
            if n == 0 { return }  // it shrank: the builder reports the size it announced and what came
            try write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            left -= UInt64(n)
        }
        // One byte more than its size: the file grew; write it so the builder reports the mismatch.
        var extra: UInt8 = 0
        let more = try withUnsafeMutableBytes(of: &extra) { try FS.readFull(fd, $0, path: path) }
        if more > 0 { try withUnsafeBytes(of: &extra) { try write($0) } }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
