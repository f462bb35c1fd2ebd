import Crypto
import CustodyCore
import Ledger

/// Signed notes, checkpoints and both proof formats, opened with the fuzz log's key (`FuzzLedger`).
/// No input can carry a new valid signature, so whatever is accepted must be true of the fuzz log.
extension FuzzTarget {
    static let checkpoint = FuzzTarget(
        name: "checkpoint", summary: "NoteVerifier.open and Checkpoint.open, as given and signed afresh",
        dictionary: ["\n\n", "\u{2014} ", FuzzLedger.origin, "\r\n", "+", "=", "18446744073709551615", "0"]
    ) { bytes in
        let note = String(decoding: bytes, as: UTF8.self)
        let given = try ledgerOutcome { try accepted(Checkpoint.open(note, verifier: FuzzLedger.verifier)) }
        // The same bytes as the text of a note signed by the key: opening it must give the text back,
        // or refuse the text as malformed, never call the signature bad.
        guard note.hasSuffix("\n"), note.utf8.count < NoteVerifier.maxNoteBytes / 2 else { return given }
        let signed = try FuzzLedger.signer.sign(note)
        do {
            let text = try FuzzLedger.verifier.open(signed)
            guard text == note else { throw FuzzFailure("a signed note opens to different text") }
        } catch let error as CustodyError where error.kind == .integrity {
            throw FuzzFailure("a note signed by the key does not verify: \(error)")
        } catch let error as CustodyError where error.kind == .invalidInput(field: "note") {
            return given
        }
        // Signed by the key, it may say anything; what it is read as must be what it says.
        _ = try ledgerOutcome {
            let cp = try Checkpoint.open(signed, verifier: FuzzLedger.verifier)
            guard note.hasPrefix(Checkpoint.text(origin: cp.origin, size: cp.size, root: cp.root)) else {
                throw FuzzFailure("a checkpoint reads as size \(cp.size), root \(cp.root.hex): not what it says")
            }
        }
        return given
    }

    static let inclusionProof = FuzzTarget(
        name: "inclusion-proof", summary: "InclusionProof(parsing:) and verify against the fuzz log's key",
        dictionary: ["c2sp.org/tlog-proof@v1\n", "extra ", "index ", "\n\n", "\u{2014} ", "="]
    ) { bytes in
        try ledgerOutcome {
            let proof = try readingBack(bytes, InclusionProof.init(parsing:), \.text)
            let cp = try accepted(proof.verify(verifier: FuzzLedger.verifier))
            guard proof.index < cp.size, proof.leaf == FuzzLedger.leaves[Int(proof.index)] else {
                throw FuzzFailure("a proof that leaf \(proof.index) is \(proof.leaf ?? []) was accepted")
            }
        }
    }

    static let consistencyProof = FuzzTarget(
        name: "consistency-proof", summary: "ConsistencyProof(parsing:) and verify from the fuzz log's old roots",
        dictionary: ["custody/consistency-proof@v1\n", "old ", "new ", "\n\n", "\u{2014} ", "="]
    ) { bytes in
        try ledgerOutcome {
            let proof = try readingBack(bytes, ConsistencyProof.init(parsing:), \.text)
            // The true root of the old tree when the log has one of that size, else a root of none.
            let known = (1...UInt64(FuzzLedger.leaves.count)).contains(proof.oldSize)
            let oldRoot = known ? try FuzzLedger.root(proof.oldSize) : SHA256.hash(Array("no such tree".utf8))
            let new = try accepted(proof.verify(oldRoot: oldRoot, verifier: FuzzLedger.verifier))
            guard known, proof.oldSize <= new.size, new.size == proof.newSize else {
                throw FuzzFailure("consistency from \(proof.oldSize) to \(proof.newSize) was accepted")
            }
        }
    }

    /// A proof parsed from `bytes`, checked to read back as itself from the text it writes.
    static func readingBack<Proof: Equatable>(_ bytes: [UInt8], _ parse: (String) throws -> Proof,
                                              _ text: (Proof) -> String) throws -> Proof {
        let proof = try parse(String(decoding: bytes, as: UTF8.self))
        guard try parse(text(proof)) == proof else { throw FuzzFailure("the proof's text reads back differently") }
        return proof
    }

    /// A checkpoint that opened: it must be one the fuzz log signed, of its true root.
    @discardableResult
    static func accepted(_ cp: Checkpoint) throws -> Checkpoint {
        guard cp.origin == FuzzLedger.origin, (1...UInt64(FuzzLedger.leaves.count)).contains(cp.size),
              try cp.root == FuzzLedger.root(cp.size) else {
            throw FuzzFailure("a checkpoint of size \(cp.size), root \(cp.root.hex) was accepted")
        }
        return cp
    }

    /// Runs `body`: accepted, or refused with the error kind the ledger promises (bad input, or an
    /// integrity failure for what was altered).
    static func ledgerOutcome(_ body: () throws -> Void) throws -> FuzzOutcome {
        do {
            try body()
            return .accepted
        } catch let error as CustodyError {
            switch error.kind {
            case .invalidInput(let field): return .refused(field)
            case .integrity: return .refused("integrity")
            default: throw FuzzFailure("unexpected error kind: \(error)")
            }
        }
    }
}
