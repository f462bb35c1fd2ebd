import Crypto
import CustodyCore
import Foundation

/// A C2SP `tlog-checkpoint`: the signed note whose text is the log's origin, its tree size and its
/// root hash (standard base64), one per line.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: UInt64
    public let root: SHA256Digest
    /// The whole signed note, exactly as issued.
    public let note: String

    public init(origin: String, size: UInt64, root: SHA256Digest, note: String) {
        self.origin = origin
        self.size = size
        self.root = root
        self.note = note
    }

    /// The note text for a tree head.
    public static func text(origin: String, size: UInt64, root: SHA256Digest) -> String {
        "\(origin)\n\(size)\n\(Base64.encode(root.bytes))\n"
    }

    /// Signs a new checkpoint for `size` and `root`.
    public static func sign(size: UInt64, root: SHA256Digest, signer: NoteSigner) throws -> Checkpoint {
        let note = try signer.sign(text(origin: signer.name, size: size, root: root))
        return Checkpoint(origin: signer.name, size: size, root: root, note: note)
    }

    /// Verifies `note`'s signature with `verifier` and parses its text. The origin must be the
    /// verifier's key name: custody signs its log under its origin. A checkpoint signed only by retired
    /// keys must be no larger than the last one they signed before they were retired.
    public static func open(_ note: String, verifier: NoteVerifier) throws -> Checkpoint {
        let (text, retiredSigners) = try verifier.openSigned(note)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count >= 3, let size = UInt64(lines[lines.startIndex + 1]),
              String(size) == lines[lines.startIndex + 1],
              let rootBytes = Base64.decode(String(lines[lines.startIndex + 2])), rootBytes.count == 32 else {
            throw CustodyError.integrity("the checkpoint text is malformed (origin, size, base64 root expected)")
        }
        let origin = String(lines[lines.startIndex])
        guard origin == verifier.name else {
            throw CustodyError.integrity("the checkpoint is for log \(origin), not \(verifier.name)")
        }
        try checkRetired(size: size, signers: retiredSigners)
        return Checkpoint(origin: origin, size: size, root: SHA256Digest(bytes: rootBytes), note: note)
    }

    /// A checkpoint signed by retired keys alone covers no more events than the largest of them had
    /// signed when retired (no limit when one of them has none recorded).
    static func checkRetired(size: UInt64, signers: [RetiredKey]) throws {
        guard !signers.isEmpty else { return }
        let limits = signers.map(\.lastCheckpointSize)
        guard !limits.contains(nil), let limit = limits.compactMap({ $0 }).max(), size > limit else { return }
        let ids = signers.map { Hex.encode($0.keyID) }.joined(separator: ", ")
        throw CustodyError.integrity("the checkpoint of \(size) events is signed by the retired key \(ids), whose "
                                     + "last checkpoint before it was retired covered \(limit) events: it was made "
                                     + "after the key was retired (forged with its private key)")
    }
}
