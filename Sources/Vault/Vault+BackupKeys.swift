import CustodyCore
import Crypto
import Foundation
import Ledger
import POSIX
import SQLite
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The keys of a backup: copied after the catalog's snapshot, and copied again until they can verify it.
extension Vault {
    /// The key IDs that signed the checkpoints stored in `db` (a catalog snapshot).
    static func checkpointSigners(in db: Database) throws -> Set<[UInt8]> {
        var signers = Set<[UInt8]>()
        for row in try db.query("SELECT note FROM checkpoints") {
            NoteVerifier.signatureKeyIDs(row.text(0) ?? "").forEach { signers.insert($0) }
        }
        return signers
    }

    /// Copies the key files into the backup `folder`, and again while the copy is not one a restore can
    /// verify the snapshot with: a matching pair, and every key that signed one of its checkpoints
    /// (`signers`) among the current and retired keys. A `rotate-key ledger` running meanwhile replaces
    /// files between two reads (or a file is gone for a moment); the next copy, after it, is whole.
    func copyKeys(into folder: String, covering signers: Set<[UInt8]>) throws {
        var problem = ""
        for attempt in 0..<5 {
            if attempt > 0 { usleep(200_000) }
            do {
                for file in Self.keyFiles(in: directory.root) {
                    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory.root + "/" + file)))
                    try FS.writeFileDurably("\(folder)/\(file)", bytes, mode: 0o600, scratch: folder + "/keys")
                }
                let copy = DataDirectory(root: folder)
                if let pair = copy.ledgerKeyPairProblem() {
                    problem = pair
                    continue
                }
                let verifier = try Self.verifier(of: copy, origin: ledgerOrigin(), publicKeyPEM: String(
                    contentsOfFile: copy.ledgerPublicKey, encoding: .utf8))
                let unknown = signers.subtracting([verifier.keyID] + verifier.retired.map(\.keyID))
                guard !unknown.isEmpty else { return }
                problem = "no key with ID " + unknown.map { Hex.encode($0) }.sorted().joined(separator: ", ")
                    + ", which signed checkpoints in the snapshot"
            } catch {
                problem = "\(error)"
            }
        }
        throw CustodyError.failure("the keys copied into \(folder)/keys cannot verify the backup's ledger: \(problem); "
                                   + "run the backup again")
    }
}

/// For tests only: with `CUSTODY_TEST_BACKUP_PAUSE=keys` in its environment, a backup that has taken
/// its snapshot and copied the keys (before the chunks) writes its PID to the file
/// `CUSTODY_TEST_BACKUP_PAUSE_MARK` names and waits there while that file exists: the test kills it, or
/// acts (rotates the key) and removes the file to let it go on. Nothing else reads these variables.
enum BackupTestHook {
    static let point = ProcessInfo.processInfo.environment["CUSTODY_TEST_BACKUP_PAUSE"]
    static let mark = ProcessInfo.processInfo.environment["CUSTODY_TEST_BACKUP_PAUSE_MARK"]

    static func reached(_ here: String) {
        guard let point, point == here, let mark else { return }
        try? Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: mark), options: .atomic)
        while FS.entryExists(mark) { usleep(10_000) }
    }
}
