import CustodyCore
import Ledger
import Uploads

/// A dock's tus uploads, as use cases: each is authorized (an active dock, or custody itself for
/// expiry) before the upload store acts; the store records each change in the same transaction as
/// the change (`UploadStore.record`), and `refuse` records the refused ones.
extension Vault {
    /// Starts an upload of `length` bytes for the dock `actor`.
    public func createUpload(by actor: Actor, length: Int64, metadata: UploadMetadata, ttl: Int64,
                             in store: UploadStore) throws -> Upload {
        try authorize(actor, .upload)
        return try store.create(owner: actor.id, length: length, metadata: metadata, ttl: ttl)
    }

    /// The upload `id` if it is `actor`'s; another dock's is refused, recorded, and answered as if it
    /// did not exist (docks cannot probe each other's uploads).
    public func upload(_ id: String, of actor: Actor, in store: UploadStore) throws -> Upload {
        guard let upload = try store.get(id) else { throw UploadError.notFound }
        // Refused without an event here: the service records it within the dock's refusal budget.
        guard upload.owner == actor.id else { throw UploadError.notOwned }
        return upload
    }

    /// Appends the bytes `read` yields to `actor`'s upload (see `UploadStore.append`).
    public func appendToUpload(_ upload: Upload, by actor: Actor, checksum: UploadChecksum?, ttl: Int64,
                               hasher: UploadHasher, in store: UploadStore,
                               read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Upload {
        try authorize(actor, .upload, details: ["upload": upload.id])
        return try store.append(upload, checksum: checksum, ttl: ttl, hasher: hasher, read: read)
    }

    /// Ingests a fully received upload as an exhibit (see `UploadStore.complete`). `actor` is the dock
    /// whose last byte arrived, or custody itself finishing one after a failure or a restart.
    /// `stopping` is asked while the pieces are read again (see `UploadStore.complete`).
    public func completeUpload(_ upload: Upload, by actor: Actor, hasher: UploadHasher?, in store: UploadStore,
                               stopping: () -> Bool = { false }) throws -> Upload {
        try authorize(actor, .upload, details: ["upload": upload.id])
        return try store.complete(upload, hasher: hasher, stopping: stopping)
    }

    /// tus termination by the dock `actor`: the upload's bytes are removed.
    public func terminateUpload(_ upload: Upload, by actor: Actor, in store: UploadStore) throws {
        try authorize(actor, .upload, details: ["upload": upload.id])
        try store.terminate(upload)
    }

    /// Expires an abandoned upload past its expiry (custody itself, the sweeper); nil if it no longer
    /// qualifies.
    public func expireUpload(_ id: String, by actor: Actor = .system, in store: UploadStore) throws -> Upload? {
        try authorize(actor, .upload, details: ["upload": id])
        return try store.expire(id)
    }
}
