import CustodyCore
import MediaModel
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A redaction spec file given on the command line (`redact --spec`, `bundle create --exhibit EX:SPEC`).
enum SpecFile {
    /// The file's bytes (at most `RedactionSpec.maxBytes`); a file that cannot be read is refused, as
    /// an error of `option`, with the system's reason.
    static func read(_ path: String, option: String) throws -> [UInt8] {
        func refused(_ why: String) -> CustodyError { .invalidInput(field: option,
                                                                    "cannot read the spec \(path): \(why)") }
        func systemReason() -> String { String(cString: strerror(errno)).lowercased() }
        // Non-blocking, so a FIFO named as the spec is refused below instead of waiting for a writer.
        let fd = open(try Context.inputFile(path, field: option), O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw refused(systemReason()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refused(systemReason()) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw refused("not a regular file") }
        var bytes = [UInt8](repeating: 0, count: RedactionSpec.maxBytes + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                retryingInterrupts { Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count) }
            }
            guard n >= 0 else { throw refused(systemReason()) }
            if n == 0 { break }
            count += n
        }
        guard count <= RedactionSpec.maxBytes else {
            throw CustodyError.invalidInput(field: option,
                                            "the spec \(path) is larger than \(RedactionSpec.maxBytes) bytes")
        }
        return Array(bytes[..<count])
    }
}
