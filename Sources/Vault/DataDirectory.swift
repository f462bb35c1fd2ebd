import CustodyCore
import Crypto
import Foundation
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The layout of a custody data directory (see README, "Data directory").
public struct DataDirectory: Sendable {
    public let root: String

    public init(root: String) {
        self.root = (root as NSString).standardizingPath
    }

    public var database: String { root + "/custody.sqlite" }
    public var chunks: String { root + "/chunks" }
    public var uploads: String { root + "/uploads" }
    /// Every temporary file and folder custody makes in the data directory (see `Scratch`).
    public var scratch: String { root + "/tmp" }
    public var keys: String { root + "/keys" }
    /// Finished court bundles, `bundles/<id>.zip` (see `BundleLayout.zipName`).
    public var bundles: String { root + "/bundles" }

    /// Where to write a file that will be renamed into `folder`: `tmp/`, or `folder/.tmp/` when
    /// `folder` is on another filesystem (`chunks/` or `keys/` mounted or linked elsewhere), since a
    /// rename cannot cross filesystems. Made (0700) when missing; cleaned like `tmp/`.
    public func scratch(renamingInto folder: String) throws -> String {
        guard try !FS.sameFileSystem(scratch, folder) else { return scratch }
        try FS.mkdir(folder + "/.tmp", 0o700)
        return folder + "/.tmp"
    }
    public var ledgerPrivateKey: String { keys + "/ledger.key" }
    public var ledgerPublicKey: String { keys + "/ledger.pub" }
    /// The key download links are signed with (HMAC-SHA256, 32 random bytes, 0600).
    public var linkSecret: String { keys + "/link.secret" }
    /// Link secrets replaced by `custody rotate-key link`, kept (0600) only to tell a link signed with
    /// one from a forged link: nothing they signed opens any more.
    public var retiredKeys: String { keys + "/retired" }

    /// True when `custody init` has run here.
    public var isInitialized: Bool { FS.exists(database) && FS.exists(ledgerPrivateKey) }

    /// Creates whatever is missing: folders (0700), keys (0600). Never replaces an existing key.
    /// Returns true when it created the signing key, i.e. this is a new vault.
    @discardableResult
    public func create() throws -> Bool {
        // Every folder made here is 0700 whatever the umask, the missing parents of the root included:
        // nobody else may rename or replace what is in it. A root that existed keeps its mode.
        var parents = [String]()
        var path = (root as NSString).standardizingPath
        while !path.isEmpty && path != "/" && !FS.entryExists(path) {
            parents.append(path)
            path = (path as NSString).deletingLastPathComponent
        }
        for dir in parents.reversed() + [chunks, uploads, scratch, keys] { try FS.mkdir(dir, 0o700) }
        func write(_ path: String, _ text: String, mode: mode_t) throws {
            try FS.writeFileDurably(path, Array(text.utf8), mode: mode, scratch: scratch(renamingInto: keys))
        }
        var created = false
        if !FS.exists(ledgerPrivateKey) {
            let key = try Ed25519Key.generate()
            try write(ledgerPrivateKey, try key.privateKeyPEM(), mode: 0o600)
            try write(ledgerPublicKey, try key.publicKeyPEM(), mode: 0o644)
            created = true
        } else if !FS.exists(ledgerPublicKey) {
            // A crash between the two writes above: the public key is derived again from the private one.
            try write(ledgerPublicKey, try loadLedgerKey().publicKeyPEM(), mode: 0o644)
        }
        if !FS.exists(linkSecret) {
            try FS.writeFileDurably(linkSecret, try SecureRandom.bytes(32), mode: 0o600,
                                    scratch: scratch(renamingInto: keys))
        }
        return created
    }

    /// The download links' key. Refuses a key file others can read.
    public func loadLinkSecret() throws -> [UInt8] {
        try checkPrivate(linkSecret, .linkSecret)
        guard let data = FileManager.default.contents(atPath: linkSecret) else {
            throw CustodyError.missing(.linkSecret, "cannot read \(linkSecret)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 32 else {
            throw CustodyError.integrity("\(linkSecret) holds \(bytes.count) bytes, not 32")
        }
        return bytes
    }

    /// The ledger signing key. Refuses a key file others can read.
    public func loadLedgerKey() throws -> Ed25519Key {
        try checkPrivate(ledgerPrivateKey, .ledgerKey)
        let pem = try String(contentsOfFile: ledgerPrivateKey, encoding: .utf8)
        return try Ed25519Key(pem: pem)
    }

    /// Nil when `keys/ledger.pub` is the public key of `keys/ledger.key`; else what is wrong.
    public func ledgerKeyPairProblem() -> String? {
        let key: Ed25519Key
        do { key = try Ed25519Key(pem: try String(contentsOfFile: ledgerPrivateKey, encoding: .utf8)) } catch {
            return "\(ledgerPrivateKey) cannot be read as an Ed25519 private key (\(error))"
        }
        guard let pem = try? String(contentsOfFile: ledgerPublicKey, encoding: .utf8) else {
            return "\(ledgerPublicKey) is missing"
        }
        guard let pub = try? Ed25519Key(pem: pem).publicBytes() else {
            return "\(ledgerPublicKey) holds no Ed25519 public key"
        }
        guard (try? key.publicBytes()) == pub else {
            return "\(ledgerPublicKey) is not the public key of \(ledgerPrivateKey)"
        }
        return nil
    }

    private func checkPrivate(_ path: String, _ key: CustodyError.Subject) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CustodyError.missing(key, "\(path) is missing")
        }
        if st.st_mode & 0o077 != 0 {
            throw CustodyError.refused("\(path) is readable by other users (mode "
                                       + "\(String(st.st_mode & 0o777, radix: 8))): run `chmod 600 \(path)`")
        }
    }
}
