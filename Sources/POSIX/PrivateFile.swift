import Foundation
@preconcurrency import Glibc

/// A small file holding a secret (a key pair, a token): opened once without following a symbolic link, and its
/// type, owner, mode and size checked on that descriptor, so nothing can swap the file between check and read.
public enum PrivateFile {
    /// Why a secret's file was not read. Never carries any of its content.
    public enum Refusal: Error, Equatable {
        /// It cannot be opened (missing, a symbolic link, no permission): `strerror`'s text.
        case cannotOpen(String)
        case notRegular
        /// Group or others may read it: its mode.
        case readableByOthers(mode: UInt32)
        /// Another user owns it: the owner's uid.
        case otherOwner(uid: UInt32)
        /// Larger than allowed, or not UTF-8 text.
        case notText

        /// Others could read the secret (or swap it): a refusal, where the rest is a wrong path.
        public var exposesTheSecret: Bool {
            switch self {
            case .readableByOthers, .otherOwner: return true
            case .cannotOpen, .notRegular, .notText: return false
            }
        }
    }

    /// What to tell a user of `file`, which holds `secret` ("an S3 secret key"), and what to do.
    public static func message(_ refusal: Refusal, _ file: String, holding secret: String, maxSize: Int) -> String {
        switch refusal {
        case .cannotOpen(let why): return "cannot open \(file) (a regular file, not a symbolic link): \(why)"
        case .notRegular: return "\(file) is not a regular file"
        case .readableByOthers(let mode):
            return "\(file) holds \(secret) but others may read it (mode \(String(mode, radix: 8))): chmod 600 \(file)"
        case .otherOwner(let uid): return "\(file) holds \(secret) but belongs to another user (uid \(uid))"
        case .notText: return "\(file) is not a UTF-8 text file of at most \(maxSize) bytes"
        }
    }

    /// The file's text, at most `maxSize` bytes, if it is a regular file of this user that no one else may read
    /// (0600 or 0400).
    public static func read(_ path: String, maxSize: Int) throws(Refusal) -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .cannotOpen(String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { throw .notRegular }
        guard st.st_mode & 0o077 == 0 else { throw .readableByOthers(mode: st.st_mode & 0o777) }
        guard st.st_uid == getuid() else { throw .otherOwner(uid: st.st_uid) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSize + 1, alignment: 1)
        defer { buffer.deallocate() }
        let n = (try? FS.readFull(fd, buffer, path: path)) ?? -1
        guard n >= 0, n <= maxSize, let text = String(bytes: buffer[0..<n], encoding: .utf8) else { throw .notText }
        return text
    }
}
