import Foundation
import POSIX
import Storage

/// What processes that are gone left in the data directory: the scratch entries of `tmp/`, and those
/// of versions before `tmp/` existed, which nothing else cleans up. Only names custody made are touched,
/// and only when the process in the name is gone.
extension DataDirectory {
    /// Removes abandoned temporaries: in `tmp/` (chunks being written, a redaction's work folder, a key
    /// being written), in `chunks/.tmp/` and `keys/.tmp/` when those folders are on another filesystem
    /// (see `scratch(renamingInto:)`), and where earlier versions put them: chunks in `chunks/.tmp/` (`<pid>-<n>`,
    /// then `<pid>-<tag>-<n>`), redactions' work folders `uploads/.redact-<pid>-<8 hex>`, keys being
    /// written `keys/<key file>.tmp-<pid>`. In `chunks/.tmp/`, which remote workers on other machines share
    /// (a file store over NFS), a PID means nothing: there a `<pid>-<tag>-<n>` name goes by its age
    /// (`FileChunkStore.sweepStaleTemporaries`), never while a live writer may still rename it. Returns how many
    /// it removed.
    @discardableResult
    func removeAbandonedScratch() -> Int {
        Scratch.removeAbandoned(in: scratch)
            + Scratch.removeAbandoned(in: chunks + "/.tmp", owner: Self.legacyChunkOwner)
            + FileChunkStore.sweepStaleTemporaries(root: chunks)
            + Scratch.removeAbandoned(in: uploads, owner: Self.legacyRedactionOwner)
            + Scratch.removeAbandoned(in: keys + "/.tmp")
            + Scratch.removeAbandoned(in: keys, owner: legacyKeyOwner)
    }

    /// `<pid>-<n>` (a chunk being written into `chunks/.tmp/` by a version before `<tag>` was added, always on
    /// this machine); nil for other names.
    static func legacyChunkOwner(_ name: String) -> Int32? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = Scratch.pid(parts[0]), Scratch.pid(parts[1]) != nil else { return nil }
        return pid
    }

    /// `.redact-<pid>-<8 hex>` (a redaction's work folder in `uploads/`).
    static func legacyRedactionOwner(_ name: String) -> Int32? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == ".redact", parts[2].utf8.count == 8,
              parts[2].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return Scratch.pid(parts[1])
    }

    /// `<key file>.tmp-<pid>` (a key being written into `keys/`).
    func legacyKeyOwner(_ name: String) -> Int32? {
        // link.secret: made by versions before signed links were taken out until they are built.
        let keyFiles = [ledgerPrivateKey, ledgerPublicKey].map { ($0 as NSString).lastPathComponent }
            + ["link.secret"]
        guard let file = keyFiles.first(where: { name.hasPrefix($0 + ".tmp-") }) else { return nil }
        return Scratch.pid(name.dropFirst(file.count + ".tmp-".count))
    }
}
