import Crypto
import CustodyCore
import Foundation
import POSIX
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `custody export --server`: the exhibit's bytes are downloaded (`GET /api/v1/exhibits/<id>/file`, the
/// server checking every chunk as it sends) into a hidden file next to `--out`, hashed as they arrive,
/// checked against the SHA-256 and size the server named, fsynced and linked into place as a local
/// export is: never over an existing file, nothing left at `--out` when anything fails.
struct RemoteExport {
    let command: ExportCommand

    init(_ command: ExportCommand) { self.command = command }

    func run(_ client: APIClient, json: Bool) throws -> Int32 {
        let out = URL(fileURLWithPath: command.out).standardizedFileURL.path
        if FS.entryExists(out) {
            throw CustodyError.conflict(.file, "\(out) already exists: custody never overwrites a file")
        }
        let dir = (out as NSString).deletingLastPathComponent
        guard let folder = FS.realPath(dir.isEmpty ? "." : dir) else {
            throw CustodyError.invalidInput(field: "out", "cannot write \(out): its folder \(dir) does not exist")
        }
        let temp = "\(folder)/.\((out as NSString).lastPathComponent).custody-partial-\(getpid())"
        let fd: Int32
        do { fd = try FS.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640) } catch {
            throw CustodyError.invalidInput(field: "out", "cannot write next to \(out): \(error)")
        }
        defer {
            close(fd)
            unlink(temp)  // after a hard link to `out`, only this second name goes
        }
        let hash = SHA256()
        var received: Int64 = 0
        let reference = command.reference
        let answer: APIClient.Answer
        do {
            answer = try client.download("/api/v1/exhibits/\(APIClient.encode(reference))/file",
                                         query: [("reason", command.reason), ("out", out)]) { data in
                do { try data.withUnsafeBytes { try FS.writeAll(fd, $0, path: temp) } } catch {
                    if let e = error as? SystemError, e.isDiskFull {
                        throw CustodyError.diskFull("the disk holding \(out) is full: nothing was exported")
                    }
                    throw CustodyError.failure("writing \(out) failed", cause: error)
                }
                hash.update(data)
                received += Int64(data.count)
            }
        } catch let e as CustodyError where received > 0 && e.message.hasPrefix("the server") {
            // Cut short: a damaged chunk (the server checks each before it goes) or the network.
            throw CustodyError.failure("the download of \(reference) stopped after \(received) bytes; nothing was "
                                       + "left at \(out) (the server's ledger says why: custody ledger log "
                                       + "\(reference))", cause: e)
        }
        guard answer.status == 200 else { return try Remote.printed(answer, json: json) }
        let id = answer.headers["custody-exhibit"] ?? reference
        let expected = answer.headers["custody-sha256"] ?? ""
        let digest = hash.finalize().hex
        guard digest == expected, String(received) == answer.headers["content-length"] ?? "" else {
            throw CustodyError.integrity("the download of \(id) hashes to \(digest) (\(received) bytes), not the "
                                         + "\(expected) the server named: nothing was left at \(out)")
        }
        try FS.fsync(fd, path: temp)
        try Vault.placeWithoutReplacing(temp, at: out)
        do { try FS.fsyncDirectory(folder) } catch {
            unlink(out)
            throw CustodyError.failure("writing \(out) failed", cause: error)
        }
        if json {
            Output.json(["id": id, "sha256": digest, "size": received, "out": out])
        } else {
            print("\(id)  \(digest)  \(out.escapedForTerminal)")
        }
        return 0
    }
}
