import Crypto
import CustodyCore
import Foundation

/// C2SP `signed-note` with Ed25519 keys: a text ending in a newline, a blank line, then signature
/// lines `— <key name> base64(key ID || signature)`. The signature covers the text including its
/// final newline. The key ID is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key).
public struct NoteSigner: Sendable {
    public let name: String
    public let key: Ed25519Key
    public let keyID: [UInt8]

    public init(name: String, key: Ed25519Key) throws {
        guard NoteVerifier.isValidKeyName(name) else {
            throw CustodyError.invalidInput(field: "key name",
                                            "a note key name must be non-empty without spaces or '+': \(name)")
        }
        self.name = name
        self.key = key
        self.keyID = NoteVerifier.keyID(name: name, publicKey: try key.publicBytes())
    }

    /// The signed note for `text` (which must end in a newline).
    public func sign(_ text: String) throws -> String {
        precondition(text.hasSuffix("\n"), "note text ends in a newline")
        let signature = try key.sign(Array(text.utf8))
        return text + "\n\u{2014} \(name) \(Base64.encode(keyID + signature))\n"
    }

    public var verifier: NoteVerifier {
        get throws { try NoteVerifier(name: name, publicKey: key.publicBytes()) }
    }
}

/// Checks notes signed by one known Ed25519 key, or by one of the keys it replaced (`retired`: a
/// ledger whose signing key was rotated keeps its older checkpoints checkable, up to the size each
/// retired key had reached: `RetiredKey`).
public struct NoteVerifier: Sendable {
    public let name: String
    public let publicKey: [UInt8]
    public let keyID: [UInt8]
    /// Earlier keys of the same name, oldest first: never the current key, each key once.
    public let retired: [RetiredKey]

    /// `retired`: the earlier keys, oldest first, each with the tree size of the last checkpoint it signed
    /// (nil: not recorded). A retired key given twice keeps the larger size (nil counts as larger); one
    /// equal to `publicKey` (a rotation interrupted before the new key took over) is the current key.
    public init(name: String, publicKey: [UInt8],
                retired: [(publicKey: [UInt8], lastCheckpointSize: UInt64?)] = []) throws {
        guard ([publicKey] + retired.map(\.publicKey)).allSatisfy({ $0.count == 32 }) else {
            throw CustodyError.invalidInput(field: "key", "an Ed25519 public key has 32 bytes")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = Self.keyID(name: name, publicKey: publicKey)
        var keys = [RetiredKey]()
        for key in retired where key.publicKey != publicKey {
            let id = Self.keyID(name: name, publicKey: key.publicKey)
            guard let i = keys.firstIndex(where: { $0.publicKey == key.publicKey }) else {
                keys.append(RetiredKey(publicKey: key.publicKey, keyID: id, lastCheckpointSize: key.lastCheckpointSize))
                continue
            }
            let size = keys[i].lastCheckpointSize.flatMap { a in key.lastCheckpointSize.map { max(a, $0) } }
            keys[i] = RetiredKey(publicKey: key.publicKey, keyID: id, lastCheckpointSize: size)
        }
        self.retired = keys
    }

    /// The verifier keys (C2SP vkey) of the retired keys, oldest first.
    public var retiredVkeys: [String] { retired.map { Self.vkey(name, $0.keyID, $0.publicKey) } }

    /// Parses a C2SP verifier key: `<name>+<8 hex digits key ID>+<base64(0x01 || public key)>`.
    public init(vkey: String) throws {
        // Names hold no '+', so the first two split off name and ID; base64 may contain '+'.
        let parts = vkey.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let raw = Base64.decode(String(parts[2])), raw.count == 33, raw[0] == 0x01 else {
            throw CustodyError.invalidInput(field: "key",
                                            "not an Ed25519 verifier key (name+keyid+base64): \(vkey.prefix(80))")
        }
        try self.init(name: String(parts[0]), publicKey: Array(raw[1...]))
        guard Hex.encode(keyID) == parts[1] else {
            throw CustodyError.invalidInput(field: "key", "the verifier key's ID does not match its key")
        }
    }

    /// The C2SP verifier key string.
    public var vkey: String { Self.vkey(name, keyID, publicKey) }

    static func vkey(_ name: String, _ keyID: [UInt8], _ publicKey: [UInt8]) -> String {
        "\(name)+\(Hex.encode(keyID))+\(Base64.encode([0x01] + publicKey))"
    }

    static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(Array(name.utf8) + [0x0a, 0x01] + publicKey).bytes.prefix(4))
    }

    static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("+") && !name.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// Maximum note size accepted, against hostile input.
    public static let maxNoteBytes = 64 * 1024

    /// Returns the note's text when it carries a valid signature by this key (or a retired one).
    /// Signatures by other keys are ignored; a bad signature by this key, or none at all, is an integrity
    /// error saying which.
    /// Text that is not a signed note at all (too large, control characters such as CR, no signature
    /// block, malformed signature lines) is a usage error: the wrong file, not a forged one.
    public func open(_ note: String) throws -> String { try openSigned(note).text }

    /// `open`, also saying which retired keys signed the note when the current key did not (empty when it
    /// did): a checkpoint checks its size against theirs (`Checkpoint.open`).
    public func openSigned(_ note: String) throws -> (text: String, retiredSigners: [RetiredKey]) {
        guard note.utf8.count <= Self.maxNoteBytes else { throw CustodyError.invalidInput(field: "note",
            "the note is too large") }
        if note.contains("\r\n") {
            throw CustodyError.invalidInput(field: "note",
                                            "the note has CRLF line ends (a signed note has LF only; convert it back)")
        }
        guard !note.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw CustodyError.invalidInput(field: "note", "the note contains control characters")
        }
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw CustodyError.invalidInput(field: "note", "the note has no signature block")
        }
        let text = String(note[..<split.lowerBound]) + "\n"
        let lines = note[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
        guard note.hasSuffix("\n"), lines.last == "", lines.count >= 2 else {
            throw CustodyError.invalidInput(field: "note", "the note's signature lines are malformed")
        }
        var (current, retiredSigners) = (false, [RetiredKey]())
        for line in lines.dropLast() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "\u{2014}" else {
                throw CustodyError.invalidInput(field: "note", "malformed signature line: \(line.prefix(120))")
            }
            // The shape of a signature line with a signature that is not canonical base64: altered.
            guard let raw = Base64.decode(String(fields[2])), raw.count >= 4 else {
                throw CustodyError.integrity("the signature line \(line.prefix(120)) was altered (not canonical base64)")
            }
            let id = Array(raw.prefix(4))
            let old = id == keyID ? nil : retired.first(where: { $0.keyID == id })
            guard fields[1] == name, id == keyID || old != nil else { continue }
            let key = try Ed25519Key(publicBytes: old?.publicKey ?? publicKey)
            guard key.verify(Array(raw.dropFirst(4)), for: Array(text.utf8)) else {
                throw CustodyError.integrity("the signature by \(name) does not verify: the note was altered or forged")
            }
            if let old { retiredSigners.append(old) } else { current = true }
        }
        guard current || !retiredSigners.isEmpty else {
            throw CustodyError.integrity("the note is not signed by \(name) (key ID \(Hex.encode(keyID)))")
        }
        return (text, current ? [] : retiredSigners)
    }
}
