import CustodyCore
import Crypto
import Foundation

/// The record of a retired ledger key, `keys/retired/ledger-<unix time>.pub`: a few `Name: value`
/// lines, then the public key as PEM (RFC 7468 allows text before it; `openssl pkey -pubin -in` reads
/// the file as it is):
///
///     Retired-At: 2027-01-05T10:00:00.000Z
///     Last-Checkpoint-Size: 1234
///     -----BEGIN PUBLIC KEY-----
///
/// `Last-Checkpoint-Size` is the tree size of the last checkpoint the key signed: it verifies none larger.
/// A record written before custody recorded sizes is the PEM alone: it verifies checkpoints of any size,
/// and `custody doctor` warns about it (README, *Replacing keys*).
public struct RetiredLedgerKey: Sendable {
    public let path: String
    public let publicKey: [UInt8]
    public let lastCheckpointSize: UInt64?

    static let sizeLabel = "Last-Checkpoint-Size"

    /// Reads the record at `path`. A size that is there but not a plain decimal number is an error
    /// naming the file, never read as no limit.
    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        self.path = path
        publicKey = try Ed25519Key(pem: text).publicBytes()
        var size: UInt64?
        for line in text.split(separator: "\n").prefix(while: { !$0.hasPrefix("-----BEGIN") }) {
            guard line.hasPrefix(Self.sizeLabel + ":") else { continue }
            let value = line.dropFirst(Self.sizeLabel.count + 1).trimmingCharacters(in: .whitespaces)
            guard size == nil, let n = UInt64(value), String(n) == value else {
                throw CustodyError.integrity("\(path): \(Self.sizeLabel) must be given once, as a whole number: "
                                             + "\(line.prefix(80))")
            }
            size = n
        }
        lastCheckpointSize = size
    }

    /// The record's text for the key `pem` whose last checkpoint covered `size` events.
    static func text(pem: String, lastCheckpointSize size: UInt64, retiredAt: String) -> String {
        "Retired-At: \(retiredAt)\n\(sizeLabel): \(size)\n" + pem + (pem.hasSuffix("\n") ? "" : "\n")
    }
}
