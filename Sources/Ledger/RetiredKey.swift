import Crypto
import CustodyCore
import Foundation

/// A ledger key replaced by `rotate-key ledger`: it still checks the checkpoints it signed, but only
/// up to the tree size of the last one (`lastCheckpointSize`, recorded when it was retired). A larger
/// checkpoint bearing its signature was made after it was retired, with its private key: a forgery.
/// A key retired by a version that did not record the size has none and checks checkpoints of any size.
public struct RetiredKey: Sendable, Equatable {
    public let publicKey: [UInt8]
    public let keyID: [UInt8]
    public let lastCheckpointSize: UInt64?
}

extension NoteVerifier {
    /// The key IDs of `note`'s signature lines (none when it is no signed note), signatures unchecked:
    /// which keys a stored checkpoint names.
    public static func signatureKeyIDs(_ note: String) -> [[UInt8]] {
        guard let split = note.range(of: "\n\n", options: .backwards) else { return [] }
        return note[split.upperBound...].split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, let raw = Base64.decode(String(fields[2])), raw.count >= 4 else { return nil }
            return Array(raw.prefix(4))
        }
    }

    /// The keys as `GET /ledger/keys` and `ledger key --all` publish them, one a line: the current
    /// verifier key, then each retired one, newest first, followed by a space and the size of the last
    /// checkpoint it signed when that is recorded.
    public var publishedKeyLines: [String] {
        [vkey] + retired.reversed().map { key in
            Self.vkey(name, key.keyID, key.publicKey) + (key.lastCheckpointSize.map { " \($0)" } ?? "")
        }
    }

    /// Parses `publishedKeyLines` (joined by line feeds). Every line must be a key of the first line's
    /// name; a size, where given, plain decimal.
    public init(published text: String) throws {
        let lines = text.split(separator: "\n").map(String.init)
        guard let first = lines.first else { throw CustodyError.invalidInput(field: "keys", "no key is listed") }
        let current = try NoteVerifier(vkey: first)
        var retired = [(publicKey: [UInt8], lastCheckpointSize: UInt64?)]()
        for line in lines.dropFirst().reversed() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count <= 2 else {
                throw CustodyError.invalidInput(field: "keys", "not a verifier key and a size: \(line.prefix(120))")
            }
            let key = try NoteVerifier(vkey: String(fields[0]))
            guard key.name == current.name else {
                throw CustodyError.invalidInput(field: "keys", "\(key.name) is not the log \(current.name)")
            }
            var size: UInt64?
            if fields.count == 2 {
                guard let n = UInt64(fields[1]), String(n) == fields[1] else {
                    throw CustodyError.invalidInput(field: "keys", "not a tree size: \(fields[1].prefix(40))")
                }
                size = n
            }
            retired.append((key.publicKey, size))
        }
        try self.init(name: current.name, publicKey: current.publicKey, retired: retired)
    }
}
