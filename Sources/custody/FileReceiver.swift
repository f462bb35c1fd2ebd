import Crypto
import CustodyCore
import Foundation
import POSIX
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Writes bytes that arrive piece by piece (a download, a copy) to `out` as an export does: into a
/// hidden file next to it, hashed as they come, then checked, fsynced and linked into place. Never over
/// an existing file; nothing is left at `out` (nor beside it) unless `finish` succeeds.
final class FileReceiver {
    let out: String
    private let folder: String
    private let temp: String
    private let fd: Int32
    private let hash = SHA256()
    private(set) var received: Int64 = 0

    init(_ given: String) throws {
        out = URL(fileURLWithPath: given).standardizedFileURL.path
        if FS.entryExists(out) {
            throw CustodyError.conflict(.file, "\(out) already exists: custody never overwrites a file")
        }
        let dir = (out as NSString).deletingLastPathComponent
        guard let folder = FS.realPath(dir.isEmpty ? "." : dir) else {
            throw CustodyError.invalidInput(field: "out", "cannot write \(out): its folder \(dir) does not exist")
        }
        self.folder = folder
        temp = "\(folder)/.\((out as NSString).lastPathComponent).custody-partial-\(getpid())"
        do { fd = try FS.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640) } catch {
            throw CustodyError.invalidInput(field: "out", "cannot write next to \(out): \(error)")
        }
    }

    private var open = true

    deinit { discard() }

    /// Closes and removes the hidden file (after a hard link to `out`, only this second name goes). Said
    /// explicitly: the process may exit before this object's last reference goes.
    func discard() {
        guard open else { return }
        open = false
        close(fd)
        unlink(temp)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try FS.writeAll(fd, bytes, path: temp) } catch {
            if let e = error as? SystemError, e.isDiskFull {
                throw CustodyError.diskFull("the disk holding \(out) is full: nothing was written there")
            }
            throw CustodyError.failure("writing \(out) failed", cause: error)
        }
        hash.update(bytes)
        received += Int64(bytes.count)
    }

    /// Checks what arrived against `sha256` (hex) and `size`, then gives the file its name. Returns the
    /// SHA-256 it has.
    func finish(sha256 expected: String, size: Int64?, what: String) throws -> String {
        defer { discard() }
        let digest = hash.finalize().hex
        guard digest == expected, size == nil || size == received else {
            throw CustodyError.integrity("\(what) hashes to \(digest) (\(received) bytes), not the \(expected) "
                                         + "recorded: nothing was left at \(out)")
        }
        try FS.fsync(fd, path: temp)
        try Vault.placeWithoutReplacing(temp, at: out)
        do { try FS.fsyncDirectory(folder) } catch {
            unlink(out)
            throw CustodyError.failure("writing \(out) failed", cause: error)
        }
        return digest
    }
}

/// Downloads through the API into a `FileReceiver` (`export`, `bundle download` with `--server`).
enum RemoteDownload {
    /// GETs `path` into a file at `out`: on 200, the answer and the receiver, to be finished by the
    /// caller against the headers; any other answer is returned as it came.
    static func fetch(_ client: APIClient, _ path: String, query: [(String, String)], to out: String,
                      what: String) throws -> (APIClient.Answer, FileReceiver) {
        let file = try FileReceiver(out)
        let answer: APIClient.Answer
        do {
            answer = try client.download(path, query: query) { data in try data.withUnsafeBytes(file.write) }
        } catch let e as CustodyError where file.received > 0 && e.message.hasPrefix("the server") {
            file.discard()
            // Cut short: a damaged chunk (the server checks each before it goes) or the network.
            throw CustodyError.failure("the download of \(what) stopped after \(file.received) bytes; nothing was "
                                       + "left at \(file.out) (the server's ledger says why: custody ledger log)",
                                       cause: e)
        } catch {
            file.discard()
            throw error
        }
        if answer.status != 200 { file.discard() }
        return (answer, file)
    }
}
