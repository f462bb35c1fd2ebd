import CourtBundle
import CustodyCore
import Ledger
import Foundation
import Zip

extension FixtureBundle {
    /// Copies the ZIP at `from` to `to` entry by entry with `ZipWriter` (so every CRC-32 is right),
    /// changing the named entries' bytes, leaving out `drop` and adding `add` at the end (names as in the
    /// ZIP, top folder included).
    public static func rezip(_ from: String, to: String, change: [String: ([UInt8]) -> [UInt8]],
                             drop: Set<String> = [], add: [(name: String, bytes: [UInt8])] = []) throws {
        let reader = try ZipReader(path: from)
        let fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let zip = ZipWriter(fd: fd, path: to)
        func put(_ name: String, _ bytes: [UInt8]) throws {
            try zip.add(name: name, size: UInt64(bytes.count), modified: Date(timeIntervalSince1970: 1.8e9)) {
                try bytes.withUnsafeBytes($0.write)
            }
        }
        for entry in reader.entries where !entry.isFolder && !drop.contains(entry.name) {
            let bytes = try reader.contents(entry, limit: 64 << 20)
            try put(entry.name, change[entry.name]?(bytes) ?? bytes)
        }
        for (name, bytes) in add { try put(name, bytes) }
        try zip.finish()
    }
}

/// The public ledger endpoints answered from the fixture's log, in-process, as Service's LedgerHandler
/// answers them: `/ledger/key`, `/ledger/checkpoint` (signing one first), `/ledger/consistency?from=N&to=M`.
public struct FixtureLedgerServer: LedgerServer {
    public let fixture: FixtureBundle
    public init(_ fixture: FixtureBundle) { self.fixture = fixture }

    public func get(_ path: String) throws -> String {
        let log = fixture.log
        switch path.split(separator: "?").first ?? "" {
        case "/ledger/key":
            return try fixture.signer.verifier.vkey + "\n" + fixture.ledgerKey.publicKeyPEM()
        case "/ledger/checkpoint":
            return try log.checkpoint(signer: fixture.signer)!.note
        case "/ledger/consistency":
            var sizes: [String: UInt64] = [:]
            for pair in path.split(separator: "?")[1].split(separator: "&") {
                let kv = pair.split(separator: "=")
                sizes[String(kv[0])] = UInt64(kv[1])
            }
            let to = sizes["to"]!
            let note = try log.checkpoint(size: to)?.note ?? Checkpoint.sign(size: to, root: log.root(size: to),
                                                                              signer: fixture.signer).note
            return ConsistencyProof(oldSize: sizes["from"]!, newSize: to,
                                    hashes: try log.consistencyProof(oldSize: sizes["from"]!, newSize: to).map(\.bytes),
                                    checkpoint: note).text
        default:
            throw CustodyError.notFound(.other, "no \(path)")
        }
    }
}

