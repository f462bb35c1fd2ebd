import Crypto
import CustodyCore
import Ledger

/// The log the ledger targets' seeds come from: the eight-leaf tree of RFC 6962's test vectors
/// (`Fixtures/rfc6962`, whose roots it reproduces), its checkpoints signed by a key made from a fixed
/// seed. The key is for fuzzing only: anyone may sign with it, which is the point (the seeds can be
/// made again, and a target can sign what it is given to reach past the signature check).
public enum FuzzLedger {
    public static let origin = "custody.example/fuzz"
    public static let leaves: [[UInt8]] = [[], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
                                           Array(0x50...0x57), Array(0x60...0x6f)]

    public static let signer: NoteSigner = {
        do {
            let seed = SHA256.hash(Array("custody fuzz corpus key".utf8)).bytes
            return try NoteSigner(name: origin, key: Ed25519Key(privateSeed: seed))
        } catch { fatalError("the fuzz key cannot be made: \(error)") }
    }()

    public static let verifier: NoteVerifier = {
        do { return try signer.verifier } catch { fatalError("the fuzz key has no verifier: \(error)") }
    }()

    /// The root of the first `size` leaves (1...8).
    public static func root(_ size: UInt64) throws -> SHA256Digest {
        precondition((1...UInt64(leaves.count)).contains(size), "the fuzz log has \(leaves.count) leaves")
        return try Merkle.subtreeHash(0, size, complete: complete)
    }

    private static func root(sub start: Int, count: Int) -> SHA256Digest {
        count == 1 ? Merkle.leafHash(leaves[start])
            : Merkle.nodeHash(root(sub: start, count: count / 2), root(sub: start + count / 2, count: count / 2))
    }

    private static func complete(_ level: Int, _ index: UInt64) -> SHA256Digest {
        root(sub: Int(index) << level, count: 1 << level)
    }

    public static func checkpoint(size: UInt64) throws -> Checkpoint {
        try Checkpoint.sign(size: size, root: root(size), signer: signer)
    }

    public static func inclusionProof(index: UInt64, size: UInt64) throws -> InclusionProof {
        let path = try Merkle.inclusionProof(index: index, size: size, complete: complete)
        return InclusionProof(leaf: leaves[Int(index)], index: index, hashes: path.map(\.bytes),
                              checkpoint: try checkpoint(size: size).note)
    }

    public static func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> ConsistencyProof {
        let path = try Merkle.consistencyProof(oldSize: oldSize, newSize: newSize, complete: complete)
        return ConsistencyProof(oldSize: oldSize, newSize: newSize, hashes: path.map(\.bytes),
                                checkpoint: try checkpoint(size: newSize).note)
    }
}
