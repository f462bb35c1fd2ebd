import CourtBundle
import CustodyCore
import Crypto
import Foundation
import POSIX
import Vault
import Zip
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Stands in for `BundleWriter` until it lands (another helper writes it; the API is fixed in the
/// transfer plan): a ZIP of the clips alone under `<ID>/data/`, no bag, no proofs, no signature.
/// `TransferWorker.defaultWriter` names it; it goes once `BundleWriter.write` exists.
enum InterimBundleWriter {
    static func write(_ request: BundleRequest, vault: Vault, to path: String,
                      progress: ((Int64, Int64) -> Void)?, isCancelled: (() -> Bool)?) throws -> BuiltBundle {
        let exhibits = try request.clips.map { try vault.catalog.find($0) }
        let total = exhibits.reduce(0) { $0 + $1.size }
        let fd = try FS.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        defer { close(fd) }
        let zip = ZipWriter(fd: fd, path: path)
        var done: Int64 = 0
        var files = [BuiltBundle.File]()
        for exhibit in exhibits {
            let name = BundleLayout.clip(exhibit: exhibit.id, filename: exhibit.filename)
            try zip.add(name: "\(request.id)/\(name)", size: UInt64(exhibit.size), modified: Date()) { entry in
                try vault.readVerified(exhibit) { bytes in
                    if isCancelled?() == true { throw CustodyError.failure("cancelled") }
                    try entry.write(bytes)
                    done += Int64(bytes.count)
                    progress?(done, total)
                }
            }
            files.append(.init(path: name, size: exhibit.size, sha256: exhibit.sha256))
        }
        try zip.finish()
        let hash = SHA256()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        hash.update(data)
        return BuiltBundle(size: Int64(data.count), sha256: hash.finalize(),
                           checkpointSize: try vault.checkpoint().map { UInt64($0.size) } ?? 0, files: files)
    }
}

extension TransferWorker {
    /// The bundle writer a worker uses unless given another.
    public static let defaultWriter: BundleWriting = InterimBundleWriter.write
}
