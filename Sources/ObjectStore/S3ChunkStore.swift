import Crypto
import CustodyCore
import Foundation
import Storage

/// Chunks as objects on S3-compatible storage, each named by its SHA-256 under the location's prefix.
///
/// - The server checks every PUT's bytes: the signed `x-amz-content-sha256` is the chunk's name, and
///   `Content-MD5` goes with it.
/// - Nothing is overwritten: `If-None-Match: *` where the bucket is not versioned; in a versioned bucket (every
///   Object Lock bucket is one, and RGW ignores `If-None-Match` there) a `HEAD` first. A race then writes a second
///   version of identical bytes, which is harmless.
/// - `put` copies the bytes and starts the PUT at once on one of `parallelPUTs` workers; `sync` returns when
///   every PUT has succeeded, and throws the first failure otherwise (after the client's retries).
/// - Reads check nothing themselves: `readChecked` (the protocol's) hashes what came back, as for files.
public final class S3ChunkStore: ChunkStore, @unchecked Sendable {
    /// Object Lock for each chunk written: S3's mode (COMPLIANCE: no one can shorten or remove it; GOVERNANCE: a
    /// user with the bypass permission can) and how long from the PUT.
    public struct ObjectLock: Sendable, Equatable {
        public enum Mode: String, Sendable { case compliance = "COMPLIANCE", governance = "GOVERNANCE" }
        public var mode: Mode
        public var retainFor: Double

        public init(mode: Mode, retainFor: Double) {
            self.mode = mode
            self.retainFor = retainFor
        }
    }

    public let client: S3Client
    public let lock: ObjectLock?
    /// The bucket keeps versions (Object Lock buckets always do): ask before writing, delete by version.
    public let versioned: Bool
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "custody.s3.put", attributes: .concurrent)
    private let mutex = NSLock()
    private var staged: Set<SHA256Digest> = []
    private var failure: Error?

    /// A store in a bucket as it is: `versioned` says whether it keeps versions; `lock`, whether to lock each
    /// chunk (the bucket must have Object Lock enabled: `open` checks).
    public init(client: S3Client, versioned: Bool, lock: ObjectLock? = nil, parallelPUTs: Int = 8) {
        self.client = client
        self.versioned = versioned || lock != nil
        self.lock = lock
        slots = DispatchSemaphore(value: max(1, parallelPUTs))
    }

    public func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws {
        let fresh = mutex.withLock { staged.insert(digest).inserted }
        guard fresh else { return }
        let copy = Array(bytes)
        slots.wait()
        group.enter()
        queue.async { [self] in
            defer { slots.signal(); group.leave() }
            do {
                try upload(digest, copy)
            } catch {
                mutex.withLock {
                    if failure == nil { failure = error }
                    staged.remove(digest)
                }
            }
        }
    }

    public func sync() throws {
        group.wait()
        try mutex.withLock {
            defer { failure = nil; staged.removeAll() }
            if let failure { throw failure }
        }
    }

    /// One chunk's PUT, unless the object is there already.
    func upload(_ digest: SHA256Digest, _ bytes: [UInt8]) throws {
        if versioned, try exists(digest) { return }
        var request = S3Client.Request("PUT", key: digest.hex, operation: "PUT of chunk \(digest)")
        request.payloadHash = digest.hex
        request.fields = [("Content-MD5", bytes.withUnsafeBytes { Base64.encode(MD5.hash($0)) }),
                          ("Content-Type", "application/octet-stream")]
        if !versioned { request.fields.append(("If-None-Match", "*")) }
        if let lock {
            request.fields += [("x-amz-object-lock-mode", lock.mode.rawValue),
                               ("x-amz-object-lock-retain-until-date",
                                Timestamp.rfc3339(client.now().addingTimeInterval(lock.retainFor)))]
        }
        // 412: the object exists (If-None-Match); 409: another PUT of it is in flight (S3's ConditionalRequestConflict).
        _ = try bytes.withUnsafeBytes { try client.perform(request, body: $0, expected: [412, 409]) }
    }

    public func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var received = 0
        let response: HTTPClientResponse
        do {
            response = try client.perform(get(digest), expected: [404]) { offset, piece in
                received = try Self.copy(piece, at: offset, into: buffer)
            }
        } catch is Overflow {
            throw ChunkStoreError.tooLarge(digest, try size(digest) ?? buffer.count + 1)
        }
        if response.status == 404 { throw ChunkStoreError.missing(digest) }
        return received
    }

    public func read(_ digest: SHA256Digest, range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(buffer.count >= range.count, "the buffer is smaller than the range")
        guard !range.isEmpty, range.lowerBound >= 0 else {
            guard let size = try size(digest) else { throw ChunkStoreError.missing(digest) }
            guard range.lowerBound >= 0, range.upperBound <= size else { throw ChunkStoreError.outOfRange(digest, range, size: size) }
            return
        }
        var request = get(digest)
        request.fields = [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")]
        var received = 0
        let response = try client.perform(request, expected: [404, 416]) { offset, piece in
            received = try Self.copy(piece, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<range.count]))
        }
        switch response.status {
        case 404: throw ChunkStoreError.missing(digest)
        case 206 where received == range.count: return
        default:
            guard let size = try size(digest) else { throw ChunkStoreError.missing(digest) }
            throw ChunkStoreError.outOfRange(digest, range, size: size)
        }
    }

    public func exists(_ digest: SHA256Digest) throws -> Bool { try size(digest) != nil }

    /// The chunk's length by a HEAD; nil when there is no such object.
    func size(_ digest: SHA256Digest) throws -> Int? {
        let response = try client.perform(S3Client.Request("HEAD", key: digest.hex, operation: "HEAD of \(digest)"),
                                          expected: [404])
        guard response.status != 404 else { return nil }
        return response.field("content-length").flatMap(Int.init) ?? 0
    }

    /// A body longer than the buffer it is read into.
    private struct Overflow: Error {}

    /// Copies a piece of a body to its place in `buffer`; returns where the body now ends.
    private static func copy(_ piece: UnsafeRawBufferPointer, at offset: Int,
                             into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset + piece.count <= buffer.count else { throw Overflow() }
        UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + piece.count)]).copyMemory(from: piece)
        return offset + piece.count
    }

    private func get(_ digest: SHA256Digest) -> S3Client.Request {
        S3Client.Request("GET", key: digest.hex, operation: "GET of chunk \(digest)")
    }
}
