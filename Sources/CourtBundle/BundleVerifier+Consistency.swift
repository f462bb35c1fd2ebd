import CustodyCore
import Ledger

/// Step 6: the bundle's checkpoint against one the recipient kept, or the server's newest.
extension BundleVerifier {
    func checkConsistency() throws {
        if let kept = options.checkpoint {
            let old: Checkpoint
            // No signed note at all is the wrong file (exit 2); a note that fails its signature, a failure.
            do { old = try Checkpoint.open(kept, verifier: verifier) } catch let e as CustodyError
                where e.kind == .integrity {
                throw BundleFailure(.consistency, "the --checkpoint file: \(e.message)")
            }
            try consistent(checkpoint, old, label: "the --checkpoint file")
            report.checked["consistency"] = (report.checked["consistency"] ?? 0) + 1
        } else if let server = options.server {
            let newest: Checkpoint
            do { newest = try Checkpoint.open(try server.get("/ledger/checkpoint"), verifier: verifier) } catch let e
                as CustodyError where e.kind == .integrity {
                throw BundleFailure(.consistency, "the server's newest checkpoint: \(e.message)")
            }
            try consistent(checkpoint, newest, label: "the server's newest checkpoint")
            report.checked["consistency"] = 1
        }
    }

    /// The smaller of two signed checkpoints is a prefix of the larger: same size, same root; else a
    /// consistency proof from the server.
    private func consistent(_ a: Checkpoint, _ b: Checkpoint, label: String) throws {
        if a.size == b.size {
            guard a.root == b.root else {
                throw BundleFailure(.consistency, "the bundle's checkpoint and \(label) have the same size "
                                    + "(\(a.size)) but different roots: the log was forked",
                                    entry: BundleLayout.checkpoint)
            }
            return
        }
        guard let server = options.server else {
            throw CustodyError.invalidInput(field: "server", "the bundle's checkpoint (size \(a.size)) and \(label) "
                                            + "(size \(b.size)) differ in size: give --server to prove them consistent")
        }
        let (old, new) = a.size < b.size ? (a, b) : (b, a)
        let text = try server.get("/ledger/consistency?from=\(old.size)&to=\(new.size)")
        do {
            let proof = try ConsistencyProof(parsing: text)
            let proved = try proof.verify(old: old, verifier: verifier)
            guard proved.size == new.size, proved.root == new.root else {
                throw CustodyError.integrity("the server's proof leads to another tree of size \(new.size)")
            }
        } catch let e as CustodyError {
            throw BundleFailure(.consistency, "the bundle's checkpoint (size \(a.size)) and \(label) (size "
                                + "\(b.size)) are not proved consistent: \(e.message)", entry: BundleLayout.checkpoint)
        }
    }
}
