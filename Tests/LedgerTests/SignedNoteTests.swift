import Crypto
import CustodyCore
import Foundation
import XCTest
@testable import Ledger

final class SignedNoteTests: XCTestCase {
    // The example of golang.org/x/mod/sumdb/note, the reference signed-note implementation.
    let goVKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    let goSeed = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  // base64(0x01 || Ed25519 seed)
    let goText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    let goNote = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
        + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    func goSigner() throws -> NoteSigner {
        let raw = try XCTUnwrap(Base64.decode(goSeed))
        return try NoteSigner(name: "PeterNeumann", key: Ed25519Key(privateSeed: Array(raw.dropFirst())))
    }

    func testSignsExactlyLikeTheGoReference() throws {
        let signer = try goSigner()
        XCTAssertEqual(try signer.verifier.vkey, goVKey)
        XCTAssertEqual(try signer.sign(goText), goNote)
    }

    func testOpensTheGoNoteAndRejectsAlterations() throws {
        let verifier = try NoteVerifier(vkey: goVKey)
        XCTAssertEqual(try verifier.open(goNote), goText)
        let altered = goNote.replacingOccurrences(of: "answer", with: "Answer")
        XCTAssertThrowsError(try verifier.open(altered)) {
            XCTAssertTrue(String(describing: $0).contains("does not verify"), String(describing: $0))
        }
        // A signature line from another key is ignored; with none from ours the note is refused.
        let other = try NoteSigner(name: "someone.else/log", key: Ed25519Key.generate())
        XCTAssertThrowsError(try verifier.open(try other.sign(goText)))
        let cosigned = goNote + "\u{2014} someone.else/log \(Base64.encode([1, 2, 3, 4] + [UInt8](repeating: 7, count: 64)))\n"
        XCTAssertEqual(try verifier.open(cosigned), goText)
        for bad in ["", goText, goNote + "\n", goNote.replacingOccurrences(of: "\u{2014}", with: "-"),
                    goNote.replacingOccurrences(of: "problem,", with: "problem,\u{07}")] {
            XCTAssertThrowsError(try verifier.open(bad), bad)
        }
        // A key whose base64 holds a '+' (transparency-dev/formats note tests).
        XCTAssertEqual(try NoteVerifier(vkey: "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").name, "TEST")
        XCTAssertThrowsError(try NoteVerifier(vkey: "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
    }

    func testCheckpointAndProofFormatsRoundTrip() throws {
        let signer = try NoteSigner(name: "met.police.uk/custody", key: Ed25519Key.generate())
        let leaves = MerkleVectorTests.referenceLeaves
        let root = MerkleVectorTests.referenceRoot(leaves[...])
        let cp = try Checkpoint.sign(size: 8, root: root, signer: signer)
        XCTAssertTrue(cp.note.hasPrefix("met.police.uk/custody\n8\n\(Base64.encode(root.bytes))\n\n\u{2014} met.police.uk/custody "))
        XCTAssertEqual(try Checkpoint.open(cp.note, verifier: signer.verifier), cp)

        let complete: (Int, UInt64) -> SHA256Digest = { level, index in
            let start = Int(index << UInt64(level))
            return MerkleVectorTests.referenceRoot(leaves[start..<(start + (1 << level))])
        }
        let proof = InclusionProof(leaf: leaves[5], index: 5,
                                   hashes: try Merkle.inclusionProof(index: 5, size: 8, complete: complete).map(\.bytes),
                                   checkpoint: cp.note)
        let parsed = try InclusionProof(parsing: proof.text)
        XCTAssertEqual(parsed, proof)
        XCTAssertEqual(try parsed.verify(verifier: signer.verifier), cp)
        var wrongIndex = parsed
        wrongIndex.index = 4
        XCTAssertThrowsError(try wrongIndex.verify(verifier: signer.verifier))
        XCTAssertThrowsError(try parsed.verify(verifier: signer.verifier, leaf: leaves[4]))
        XCTAssertThrowsError(try InclusionProof(parsing: proof.text.replacingOccurrences(of: "index 5", with: "index 05")))

        let old = try Checkpoint.sign(size: 3, root: MerkleVectorTests.referenceRoot(leaves.prefix(3)), signer: signer)
        let consistency = ConsistencyProof(
            oldSize: 3, newSize: 8, hashes: try Merkle.consistencyProof(oldSize: 3, newSize: 8, complete: complete).map(\.bytes),
            checkpoint: cp.note)
        XCTAssertEqual(try consistency.verify(old: old, verifier: signer.verifier), cp)
        let forged = try Checkpoint.sign(size: 3, root: Merkle.leafHash([9]), signer: signer)
        XCTAssertThrowsError(try consistency.verify(old: forged, verifier: signer.verifier))
    }
}
