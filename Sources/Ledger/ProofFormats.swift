import Crypto
import CustodyCore

/// C2SP `tlog-proof`: a self-contained, offline-verifiable proof that an event is in the ledger.
/// custody puts the event's canonical leaf bytes in the `extra` line, so the proof alone names the
/// event and its leaf hash can be recomputed from it.
public struct InclusionProof: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"
    public var leaf: [UInt8]?
    public var index: UInt64
    public var hashes: [[UInt8]]
    /// The signed checkpoint note the proof leads to, verbatim.
    public var checkpoint: String

    public init(leaf: [UInt8]?, index: UInt64, hashes: [[UInt8]], checkpoint: String) {
        self.leaf = leaf
        self.index = index
        self.hashes = hashes
        self.checkpoint = checkpoint
    }

    public var text: String {
        var out = Self.header + "\n"
        if let leaf { out += "extra \(Base64.encode(leaf))\n" }
        out += "index \(index)\n"
        for h in hashes { out += Base64.encode(h) + "\n" }
        return out + "\n" + checkpoint
    }

    public init(parsing text: String) throws {
        var (lines, checkpoint) = try ProofText.split(text, header: Self.header)
        if let first = lines.first, first.hasPrefix("extra ") {
            guard let bytes = Base64.decode(String(first.dropFirst(6))) else {
                throw CustodyError.invalidInput(field: "proof", "the proof's extra line is not base64")
            }
            leaf = bytes
            lines.removeFirst()
        }
        index = try ProofText.number("index", &lines)
        hashes = try ProofText.hashes(lines)
        self.checkpoint = checkpoint
    }

    /// Checks the checkpoint's signature and that the leaf (from `extra`, or given) is at `index` in it.
    public func verify(verifier: NoteVerifier, leaf given: [UInt8]? = nil) throws -> Checkpoint {
        let cp = try Checkpoint.open(checkpoint, verifier: verifier)
        guard let leaf = given ?? leaf else { throw CustodyError.invalidInput(field: "proof",
            "the proof carries no leaf and none was given") }
        guard Merkle.verifyInclusion(index: index, size: cp.size, leafHash: Merkle.leafHash(leaf).bytes,
                                     proof: hashes, root: cp.root.bytes) else {
            throw CustodyError.integrity("the inclusion proof for event \(index) does not lead to the checkpoint's "
                                         + "root")
        }
        return cp
    }
}

/// A consistency proof between two checkpoints, in the same line style as `tlog-proof` (custody's
/// own format, since C2SP defines none): header, `old <size>`, `new <size>`, one base64 hash per
/// line, a blank line, then the newer signed checkpoint verbatim.
public struct ConsistencyProof: Sendable, Equatable {
    public static let header = "custody/consistency-proof@v1"
    public var oldSize: UInt64
    public var newSize: UInt64
    public var hashes: [[UInt8]]
    public var checkpoint: String

    public init(oldSize: UInt64, newSize: UInt64, hashes: [[UInt8]], checkpoint: String) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.hashes = hashes
        self.checkpoint = checkpoint
    }

    public var text: String {
        "\(Self.header)\nold \(oldSize)\nnew \(newSize)\n" + hashes.map { Base64.encode($0) + "\n" }.joined()
            + "\n" + checkpoint
    }

    public init(parsing text: String) throws {
        var (lines, checkpoint) = try ProofText.split(text, header: Self.header)
        oldSize = try ProofText.number("old", &lines)
        newSize = try ProofText.number("new", &lines)
        hashes = try ProofText.hashes(lines)
        self.checkpoint = checkpoint
    }

    /// Checks both checkpoints' signatures and that the old tree is a prefix of the new one.
    public func verify(old: Checkpoint, verifier: NoteVerifier) throws -> Checkpoint {
        let new = try verify(oldRoot: old.root, verifier: verifier)
        guard old.size == oldSize else { throw inconsistent }
        return new
    }

    /// Checks the newer checkpoint's signature and that the tree of `oldSize` events with `oldRoot`
    /// (known some other way than from a signed note) is a prefix of it.
    public func verify(oldRoot: SHA256Digest, verifier: NoteVerifier) throws -> Checkpoint {
        let new = try Checkpoint.open(checkpoint, verifier: verifier)
        guard new.size == newSize,
              Merkle.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot.bytes,
                                       newRoot: new.root.bytes, proof: hashes) else { throw inconsistent }
        return new
    }

    private var inconsistent: CustodyError {
        .integrity("the log at size \(newSize) is not consistent with the checkpoint of size \(oldSize)")
    }
}

/// The line syntax both proof formats share.
enum ProofText {
    static let maxBytes = 256 * 1024

    /// The lines between the header and the blank line, and the checkpoint note after it.
    static func split(_ text: String, header: String) throws -> (ArraySlice<Substring>, String) {
        guard text.utf8.count <= maxBytes else {
            throw CustodyError.invalidInput(field: "proof", "the proof is larger than \(maxBytes) bytes")
        }
        guard let blank = text.range(of: "\n\n") else { throw CustodyError.invalidInput(field: "proof",
            "the proof has no checkpoint") }
        var lines = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard lines.popFirst() == Substring(header) else {
            throw CustodyError.invalidInput(field: "proof", "not a \(header) proof: the first line must be \(header)")
        }
        return (lines, String(text[blank.upperBound...]))
    }

    /// `<key> <decimal>` with no leading zeroes.
    static func number(_ key: String, _ lines: inout ArraySlice<Substring>) throws -> UInt64 {
        guard let line = lines.popFirst(), line.hasPrefix(key + " "), let n = UInt64(line.dropFirst(key.count + 1)),
              String(n) == line.dropFirst(key.count + 1) else {
            throw CustodyError.invalidInput(field: "proof", "the proof has no valid \(key) line")
        }
        return n
    }

    static func hashes(_ lines: ArraySlice<Substring>) throws -> [[UInt8]] {
        try lines.map { line in
            guard let h = Base64.decode(String(line)), h.count == 32 else {
                throw CustodyError.invalidInput(field: "proof",
                    "the proof has a line that is not a base64 SHA-256 hash: \(line.prefix(60))")
            }
            return h
        }
    }
}
