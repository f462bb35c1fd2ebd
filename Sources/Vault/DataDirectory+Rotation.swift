import CustodyCore
import Crypto
import Foundation
import POSIX

/// Replacing the link secret: the old one moves to `keys/retired/` (0600), a new one takes its name.
extension DataDirectory {
    /// The link secrets replaced so far, oldest first.
    public func loadRetiredLinkSecrets() throws -> [[UInt8]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: retiredKeys)) ?? [])
            .filter { $0.hasPrefix("link-") && $0.hasSuffix(".secret") }.sorted()
        return names.compactMap { FileManager.default.contents(atPath: retiredKeys + "/" + $0).map { [UInt8]($0) } }
    }

    /// Moves the link secret to `keys/retired/link-<unix time>.secret` and writes a new one; every link
    /// signed so far stops opening. Each step is durable; a crash between them leaves the new secret
    /// missing, which `create()` (any `custody init`) makes.
    func replaceLinkSecret(at now: Int64) throws {
        try FS.mkdir(retiredKeys, 0o700)
        var retired = "\(retiredKeys)/link-\(now).secret"
        var n = 1
        while FS.entryExists(retired) { retired = "\(retiredKeys)/link-\(now)-\(n).secret"; n += 1 }
        try FS.rename(linkSecret, retired)
        try FS.fsyncDirectory(retiredKeys)
        try FS.writeFileDurably(linkSecret, try SecureRandom.bytes(32), mode: 0o600, scratch: scratch(renamingInto: keys))
    }
}
