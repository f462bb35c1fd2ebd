import Crypto
import CustodyCore
import Foundation
import Ledger

/// Step 4: the checkpoint's signature, and each event line against its inclusion proof.
extension BundleVerifier {
    func checkEvents(_ trusted: NoteVerifier) throws {
        verifier = trusted
        let note = try text(BundleLayout.checkpoint, step: .checkpoint)
        do {
            checkpoint = try Checkpoint.open(note, verifier: trusted)
        } catch let e as CustodyError {
            throw BundleFailure(.checkpoint, "\(BundleLayout.checkpoint): \(e.message)", entry: BundleLayout.checkpoint)
        }
        if let retiredSigner, !NoteVerifier.signatureKeyIDs(note).contains(retiredSigner.keyID) {
            throw BundleFailure(.checkpoint, "\(BundleLayout.checkpoint) is not signed by the retired key "
                                + "\(Hex.encode(retiredSigner.keyID)) that signed the bundle",
                                entry: BundleLayout.checkpoint)
        }
        let bytes = try contents(BundleLayout.events, limit: Self.maxTagBytes, step: .events)
        guard bytes.isEmpty || bytes.last == 0x0A else {
            throw BundleFailure(.events, "\(BundleLayout.events) does not end with a line feed",
                                entry: BundleLayout.events)
        }
        var previous: Int64 = -1
        for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().enumerated() {
            let event = try EventLine(Array(line), lineNumber: index + 1)
            guard event.seq > previous else {
                throw BundleFailure(.events, "line \(index + 1) of \(BundleLayout.events) is not after the line before "
                                    + "(seq \(event.seq))", entry: BundleLayout.events, seq: event.seq)
            }
            previous = event.seq
            try checkProof(event)
            events[event.seq] = event
        }
        for path in files.keys where path.hasPrefix("custody/proofs/") {
            let name = path.dropFirst("custody/proofs/".count)
            guard name.hasSuffix(".tlog-proof"), let seq = Int64(name.dropLast(".tlog-proof".count)),
                  events[seq] != nil else {
                throw BundleFailure(.events, "\(path) is the proof of no event in \(BundleLayout.events)", entry: path)
            }
        }
        report.checked["events"] = events.count
        report.checked["checkpoint_size"] = Int(clamping: checkpoint.size)
    }

    private func checkProof(_ event: EventLine) throws {
        let path = BundleLayout.proof(seq: event.seq)
        func fail(_ why: String) -> BundleFailure { BundleFailure(.events, "event \(event.seq): \(why)", entry: path,
                                                                  exhibit: event.exhibit, seq: event.seq) }
        guard event.seq >= 0, UInt64(event.seq) < checkpoint.size else {
            throw fail("it is not covered by the checkpoint")
        }
        let proof: InclusionProof
        do { proof = try InclusionProof(parsing: try text(path, limit: 256 << 10, step: .events)) } catch let e
            as CustodyError { throw fail("\(path) is no tlog-proof: \(e.message)") }
        guard proof.leaf == event.bytes else { throw fail("\(path) carries another leaf than its line") }
        guard proof.index == UInt64(event.seq) else { throw fail("\(path) is for index \(proof.index)") }
        guard proof.checkpoint == checkpoint.note else { throw fail("\(path) leads to another checkpoint") }
        guard Merkle.verifyInclusion(index: proof.index, size: checkpoint.size,
                                     leafHash: Merkle.leafHash(event.bytes).bytes, proof: proof.hashes,
                                     root: checkpoint.root.bytes) else {
            throw fail("its inclusion proof does not lead to the checkpoint's root")
        }
    }
}

/// One line of events.jsonl: its exact bytes and the fields the checks use.
struct EventLine {
    let bytes: [UInt8]
    let seq: Int64
    let action: String
    let outcome: String
    let exhibit: String?
    let objectSHA256: String?
    let details: [String: String]

    init(_ bytes: [UInt8], lineNumber: Int) throws {
        self.bytes = bytes
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let seq = (object["seq"] as? NSNumber)?.int64Value else {
            throw BundleFailure(.events, "line \(lineNumber) of \(BundleLayout.events) is no custody event",
                                entry: BundleLayout.events)
        }
        self.seq = seq
        action = object["action"] as? String ?? ""
        outcome = object["outcome"] as? String ?? ""
        exhibit = object["exhibit"] as? String
        objectSHA256 = object["object_sha256"] as? String
        details = object["details"] as? [String: String] ?? [:]
    }
}
