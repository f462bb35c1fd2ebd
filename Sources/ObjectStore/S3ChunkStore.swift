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
/// - One writer at a time, like the file store: a `sync` reports the first failure of every PUT since the last
///   `sync` (and then forgets it), so two writers sharing a store could see each other's failures.
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
    let mutex = NSLock()
    private var staged: Set<SHA256Digest> = []
    private var failure: Error?
    /// Chunks found holding other bytes and written again, for the caller to record (`takeRepaired`).
    var repaired: [SHA256Digest] = []

    /// A store in a bucket as it is: `versioned` says whether it keeps versions; `lock`, whether to lock each
    /// chunk (the bucket must have Object Lock enabled: `open` checks).
    public init(client: S3Client, versioned: Bool, lock: ObjectLock? = nil, parallelPUTs: Int = 8) {
        self.client = client
        self.versioned = versioned || lock != nil
        self.lock = lock
        slots = DispatchSemaphore(value: max(1, parallelPUTs))
    }

    public func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws {
        // A PUT since the last `sync` failed for good: say so now rather than send the rest (kept for `sync`).
        if let failed = mutex.withLock({ failure }) { throw failed }
        let fresh = mutex.withLock { staged.insert(digest).inserted }
        guard fresh else { return }
        let copy = Array(bytes)
        slots.wait()
        group.enter()
        queue.async { [self] in
            defer { slots.signal(); group.leave() }
            do {
                if try upload(digest, copy) { mutex.withLock { repaired.append(digest) } }
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

    /// One chunk's PUT, unless an object of that name holds the right bytes already. One that holds others
    /// (damaged, or tampered with) is written again, as the file store replaces a damaged file: new evidence is
    /// never catalogued on top of wrong bytes; returns true then, for `takeRepaired` to name it. In a versioned
    /// bucket that adds a version; the old one stays.
    func upload(_ digest: SHA256Digest, _ bytes: [UInt8]) throws -> Bool {
        var held: Bool?
        if versioned {
            held = try holdsExactly(digest, bytes.count)
            if held == true { return false }
            try put(digest, bytes, onlyIfAbsent: false)
        } else if try put(digest, bytes, onlyIfAbsent: true) == 412 {
            held = try holdsExactly(digest, bytes.count)
            if held != true { try put(digest, bytes, onlyIfAbsent: false) }
        }
        return held == false
    }

    public func takeRepaired() -> [SHA256Digest] {
        mutex.withLock {
            defer { repaired.removeAll() }
            return repaired
        }
    }

    /// Whether the object named `digest` holds bytes that hash to it; nil when there is none.
    func holdsExactly(_ digest: SHA256Digest, _ size: Int) throws -> Bool? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        defer { buffer.deallocate() }
        do {
            _ = try readChecked(digest, into: buffer)
            return true
        } catch ChunkStoreError.missing {
            return nil
        } catch ChunkStoreError.damaged, ChunkStoreError.tooLarge {
            return false
        }
    }

    /// A PUT of the chunk; returns the status (412 when `onlyIfAbsent` and the name is taken).
    @discardableResult
    func put(_ digest: SHA256Digest, _ bytes: [UInt8], onlyIfAbsent: Bool) throws -> Int {
        var request = S3Client.Request("PUT", key: digest.hex, operation: "PUT of chunk \(digest)")
        request.payloadHash = digest.hex
        request.fields = [("Content-MD5", bytes.withUnsafeBytes { Base64.encode(MD5.hash($0)) }),
                          ("Content-Type", "application/octet-stream")]
        if onlyIfAbsent { request.fields.append(("If-None-Match", "*")) }
        if let lock {
            request.fields += [("x-amz-object-lock-mode", lock.mode.rawValue),
                               ("x-amz-object-lock-retain-until-date",
                                Timestamp.rfc3339(client.now().addingTimeInterval(lock.retainFor)))]
        }
        // 412: the name is taken (If-None-Match). A 409 (another conditional PUT of it under way) is asked again.
        return try bytes.withUnsafeBytes { try client.perform(request, body: $0, expected: [412]).status }
    }

    public func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var received = 0
        let response: HTTPClientResponse
        do {
            response = try client.perform(get(digest), expected: [404], restart: { received = 0 }) { offset, piece in
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
        let response = try client.perform(request, expected: [404, 416], restart: { received = 0 }) { offset, piece in
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
