import CustodyCore
import Foundation
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension S3Credentials {
    /// The most a credentials file may hold.
    static let maxFileSize = 4096

    /// Where the credentials come from: `explicit` when given (a file named on the command line wins over the
    /// environment); else `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` in `environment` when both are set,
    /// else `file` (`NAME=value` lines with those two names, `#` comments), which must
    /// belong to this user and be readable by no one else (0600 or 0400). Nil when neither gives any.
    /// Errors name the file and never quote a value.
    public static func load(environment: [String: String], file: String?, explicit: String? = nil) throws
        -> S3Credentials? {
        if let explicit { return try read(explicit) }
        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"],
           !id.isEmpty, !secret.isEmpty {
            return S3Credentials(accessKeyID: id, secretAccessKey: secret)
        }
        guard let file, FS.entryExists(file) else { return nil }
        return try read(file)
    }

    /// Reads a credentials file (see `load`): opened once without following a symbolic link, and its type,
    /// owner, mode and size checked on that descriptor (nothing can swap the file between check and read).
    public static func read(_ file: String) throws -> S3Credentials {
        let fd = Glibc.open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw CustodyError.invalidInput(field: "credentials", "cannot open \(file) (a regular file, not a symbolic "
                                            + "link): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw CustodyError.invalidInput(field: "credentials", "\(file) is not a regular file")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw CustodyError.refused("\(file) holds an S3 secret key but others may read it (mode "
                                       + String(st.st_mode & 0o777, radix: 8) + "): chmod 600 \(file)")
        }
        guard st.st_uid == getuid() else {
            throw CustodyError.refused("\(file) holds an S3 secret key but belongs to another user (uid \(st.st_uid))")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maxFileSize + 1, alignment: 1)
        defer { buffer.deallocate() }
        let n = (try? FS.readFull(fd, buffer, path: file)) ?? -1
        guard n >= 0, n <= maxFileSize, let text = String(bytes: buffer[0..<n], encoding: .utf8) else {
            throw CustodyError.invalidInput(field: "credentials", "\(file) is not a UTF-8 text file of at most "
                                            + "\(maxFileSize) bytes")
        }
        var values: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)  // a CRLF file's \r too
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw CustodyError.invalidInput(field: "credentials", "\(file) line \(index + 1) is not NAME=value")
            }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == value.last, value.first == "\"" || value.first == "'" {
                value = String(value.dropFirst().dropLast())
            }
            values[name] = value
        }
        guard let id = values["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = values["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw CustodyError.invalidInput(field: "credentials", "\(file) needs AWS_ACCESS_KEY_ID=... and "
                                            + "AWS_SECRET_ACCESS_KEY=... lines")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret)
    }

    /// The file form `read` takes.
    public var fileText: String { "AWS_ACCESS_KEY_ID=\(accessKeyID)\nAWS_SECRET_ACCESS_KEY=\(secretAccessKey)\n" }
}
