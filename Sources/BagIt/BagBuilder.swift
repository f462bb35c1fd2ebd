import Crypto
import CustodyCore

/// Writes one BagIt 1.0 bag (RFC 8493) with SHA-256 manifests into a `BagSink`, in one streaming
/// pass: each file's SHA-256 is computed as its bytes go to the sink, and memory holds only one
/// buffer and one manifest entry per file. What it writes, byte for byte, is in README.md beside it.
///
/// Order: `bagit.txt` when made; then payload and tag files in the order they are added; then, in
/// `finish`, `bag-info.txt`, `manifest-sha256.txt`, `tagmanifest-sha256.txt`; then, optionally, one
/// signature over the tag manifest (`addSignature`). Manifest lines are sorted by path (UTF-8 bytes).
/// The builder adds no date or other varying field: the same calls give the same bytes.
public final class BagBuilder {
    /// The bag's top-level folder: every path the sink sees starts with it.
    public let name: String
    private let sink: BagSink
    private var payload: [ManifestEntry] = []
    private var tags: [ManifestEntry] = []
    private var paths = Set<String>()
    private var folders = Set<String>()
    private var payloadOctets: UInt64 = 0
    private var state = State.open

    private enum State { case open, failed, finished, signed }
    struct ManifestEntry {
        let path: String
        let digest: SHA256Digest
    }

    /// The bytes of `bagit.txt`.
    public static let declaration = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    /// The size of the buffer a file is streamed through.
    static let bufferSize = 1 << 20

    /// Starts a bag named `name` (one path component) in `sink` and writes its `bagit.txt`.
    public init(name: String, sink: BagSink) throws {
        try BagPath.check(name)
        if BagPath.components(name).count > 1 {
            throw BagError.invalidPath(name, reason: "a bag's name is one folder, no /")
        }
        self.name = name
        self.sink = sink
        try addListedTag(path: "bagit.txt", bytes: Array(Self.declaration.utf8))
    }

    // MARK: - Payload

    /// Adds a payload file of `size` bytes at `path` (under `data/`); `contents` writes exactly that
    /// many bytes through the function it is given.
    public func addPayload(path: String, size: UInt64,
                           contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try checkOpen()
        try BagPath.checkPayload(path)
        try claim(path)
        let digest = try stream(path: path, size: size, contents: contents)
        payload.append(ManifestEntry(path: path, digest: digest))
        payloadOctets += size
    }

    /// Adds a payload file whose SHA-256 the caller already has and checks itself (a vault's clip,
    /// checked against its ledger as it is read): the builder does not hash it again, and lists
    /// `sha256` in the manifest. If the bytes turn out not to hash to it, the caller must throw from
    /// `contents` (or discard the bag).
    public func addPayload(path: String, size: UInt64, sha256: SHA256Digest,
                           contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try checkOpen()
        try BagPath.checkPayload(path)
        try claim(path)
        _ = try stream(path: path, size: size, hasher: nil, contents: contents)
        payload.append(ManifestEntry(path: path, digest: sha256))
        payloadOctets += size
    }

    /// Adds a payload file with the given bytes.
    public func addPayload(path: String, bytes: [UInt8]) throws {
        try addPayload(path: path, size: UInt64(bytes.count)) { write in try bytes.withUnsafeBytes(write) }
    }

    /// Adds a payload file copied from the file at `source`, read in 1 MiB pieces. The source must not
    /// change meanwhile: a size other than the one it had when opened is an error.
    public func addPayload(path: String, fromFile source: String) throws {
        try checkOpen()
        try BagPath.checkPayload(path)
        let file = try SourceFile(path: source)
        defer { file.close() }
        try addPayload(path: path, size: file.size) { write in try file.copy(to: write) }
    }

    // MARK: - Tag files

    /// Adds a tag file of `size` bytes at `path` (outside `data/`, e.g. `custody/events.jsonl`),
    /// listed in the tag manifest.
    public func addTag(path: String, size: UInt64,
                       contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try checkOpen()
        try BagPath.checkTag(path)
        try addListedTag(path: path, size: size, contents: contents)
    }

    /// Adds a tag file with the given bytes.
    public func addTag(path: String, bytes: [UInt8]) throws {
        try addTag(path: path, size: UInt64(bytes.count)) { write in try bytes.withUnsafeBytes(write) }
    }

    // MARK: - Finishing

    /// Writes `bag-info.txt` (`fields` in order, then the computed Payload-Oxum and Bag-Size),
    /// `manifest-sha256.txt` and `tagmanifest-sha256.txt`, and returns the tag manifest's bytes, for
    /// the caller to sign. The fields are all checked before anything is written.
    @discardableResult
    public func finish(bagInfo fields: [BagInfoField]) throws -> [UInt8] {
        try checkOpen()
        try Self.check(bagInfo: fields)
        let info = BagInfo.render(fields, payloadOctets: payloadOctets, payloadCount: payload.count)
        try addListedTag(path: "bag-info.txt", bytes: Array(info.utf8))
        try addListedTag(path: "manifest-sha256.txt", bytes: Array(Self.manifest(payload).utf8))
        let tagManifest = Array(Self.manifest(tags).utf8)
        try write(path: "tagmanifest-sha256.txt", bytes: tagManifest)
        state = .finished
        return tagManifest
    }

    /// Checks bag-info fields as `finish` will, so a caller can refuse them before writing any file.
    public static func check(bagInfo fields: [BagInfoField]) throws {
        for field in fields { try BagInfo.check(field) }
    }

    /// After `finish`, adds one tag file that the tag manifest does not list (it cannot: it signs the
    /// tag manifest), e.g. `custody/signature`. Validators check it against nothing; the caller's
    /// verifier checks the signature.
    public func addSignature(path: String, bytes: [UInt8]) throws {
        guard state == .finished else {
            throw BagError.misuse(state == .signed ? "the bag already has its signature" : "sign after finish")
        }
        try BagPath.checkTag(path)
        try claim(path)
        try write(path: path, bytes: bytes)
        state = .signed
    }

    /// `<lower-case hex SHA-256> <encoded path>` lines sorted by path (UTF-8 bytes); one space between,
    /// as `sha256sum` prints them and as RFC 8493 §2.1.3 allows.
    static func manifest(_ entries: [ManifestEntry]) -> String {
        let sorted = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return sorted.map { "\($0.digest.hex)  \(BagPath.encode($0.path))\n" }.joined()
    }

    // MARK: - Internals

    private func checkOpen() throws {
        switch state {
        case .open: return
        case .failed: throw BagError.misuse("an earlier file failed; the bag is incomplete, start again")
        case .finished, .signed: throw BagError.misuse("the bag is finished")
        }
    }

    /// Records `path` as taken, refusing a path already taken, or one that is a folder of a taken file
    /// or has a taken file as a folder.
    private func claim(_ path: String) throws {
        if paths.contains(path) || folders.contains(path) { throw BagError.duplicatePath(path) }
        var parents: [String] = []
        var prefix = ""
        for component in BagPath.components(path).dropLast() {
            prefix += prefix.isEmpty ? component : "/" + component
            if paths.contains(prefix) { throw BagError.duplicatePath(path) }
            parents.append(prefix)
        }
        paths.insert(path)
        folders.formUnion(parents)
    }

    /// Adds a tag file listed in the tag manifest: the caller's (its path checked) or the builder's own.
    private func addListedTag(path: String, size: UInt64,
                              contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try claim(path)
        let digest = try stream(path: path, size: size, contents: contents)
        tags.append(ManifestEntry(path: path, digest: digest))
    }

    private func addListedTag(path: String, bytes: [UInt8]) throws {
        try addListedTag(path: path, size: UInt64(bytes.count)) { write in try bytes.withUnsafeBytes(write) }
    }

    /// Sends one file to the sink, hashing it on the way and counting its bytes against `size`.
    /// Any error leaves the builder failed: the sink holds part of a file.
    private func stream(path: String, size: UInt64,
                        contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void)
        throws -> SHA256Digest
    {
        let hasher = SHA256()
        try stream(path: path, size: size, hasher: hasher, contents: contents)
        return hasher.finalize()
    }

    /// `stream`, with the hashing left out when `hasher` is nil.
    private func stream(path: String, size: UInt64, hasher: SHA256?,
                        contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        var written: UInt64 = 0
        state = .failed
        try sink.addFile(path: name + "/" + path, size: size) { sinkWrite in
            // Called only within this call: Swift cannot see that a non-escaping function passed into
            // another non-escaping closure does not escape.
            try withoutActuallyEscaping(sinkWrite) { sinkWrite in
                try contents { bytes in
                    guard UInt64(bytes.count) <= size - written else {
                        throw BagError.sizeMismatch(path: path, announced: size,
                                                    written: written + UInt64(bytes.count))
                    }
                    hasher?.update(bytes)
                    try sinkWrite(bytes)
                    written += UInt64(bytes.count)
                }
            }
            if written != size { throw BagError.sizeMismatch(path: path, announced: size, written: written) }
        }
        state = .open
    }

    private func write(path: String, bytes: [UInt8]) throws {
        _ = try stream(path: path, size: UInt64(bytes.count)) { write in try bytes.withUnsafeBytes(write) }
    }
}
