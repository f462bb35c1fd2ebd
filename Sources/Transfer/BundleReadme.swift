import CourtBundle
import CustodyCore

/// `data/README.txt`: plain text for the court clerk who opens the bundle: what is inside, from whom,
/// for whom, until when, and how to check it with standard tools (no custody software needed).
extension BundleContents {
    func readme(_ request: BundleRequest) -> [UInt8] {
        let id = request.id
        var t = """
            COURT EVIDENCE BUNDLE \(id)
            \(String(repeating: "=", count: 22 + id.count))

            Case:          \(request.caseRef)\(request.caseTitle.map { " - \($0)" } ?? "")
            From:          \(organization), shared by officer \(request.createdBy) on \(request.createdAt)
            For:           \(request.recipient)
            Link expires:  \(request.expiresAt)
            Ledger:        \(origin), checkpoint of \(checkpoint.size) events

            This folder is a BagIt bag (RFC 8493). The video files are in data/, next to this file. Every
            file's SHA-256 is listed in manifest-sha256.txt (data/) and tagmanifest-sha256.txt (the rest),
            and custody/signature is an Ed25519 signature of tagmanifest-sha256.txt by the ledger key of
            \(organization), so that one signature covers every byte of the bag.

            FILES
            -----

            """
        t += "\n"
        for clip in clips {
            let e = clip.exhibit
            t += "\(clip.path)\n"
            t += "    exhibit \(e.id), \(clip.anchored.size) bytes\n"
            t += "    SHA-256 \(clip.anchored.sha256.hex)\n"
            t += "    recorded by device \(e.device), officer \(e.officer)"
            t += e.capturedAt.map { ", at \($0)\n" } ?? "\n"
            if let parent = clip.parent {
                t += "    a redacted copy of exhibit \(parent.exhibit)\n"
                t += "    (SHA-256 \(parent.sha256));\n"
                t += "    the redaction is described in \(BundleLayout.spec(e.id))\n"
            }
        }
        t += """

            custody/ holds the chain of custody: each exhibit's provenance (custody/exhibits/), every
            ledger event of each exhibit as one JSON line (custody/events.jsonl), a proof that each event
            is in the ledger (custody/proofs/<event number>.tlog-proof), the signed ledger checkpoint the
            proofs lead to (custody/checkpoint) and the ledger's public key (custody/ledger-key.pem).

            HOW TO CHECK THIS BUNDLE
            ------------------------

            1. Unpack the ZIP:
                   unzip \(BundleLayout.zipName(id))
                   cd \(id)
            2. Check every file against the manifests (each line must say OK):
                   sha256sum -c manifest-sha256.txt
                   sha256sum -c tagmanifest-sha256.txt
            3. Check the signature over the tag manifest (must print "Signature Verified Successfully").
               Better with the key published by \(organization) (GET /ledger/key on its server, or
               `custody ledger key`) than with the copy in this bundle:
                   openssl pkeyutl -verify -pubin -inkey \(BundleLayout.publicKeyPEM) -rawin \\
                       -in tagmanifest-sha256.txt -sigfile \(BundleLayout.signature)
            4. Optionally, validate the bag with the Library of Congress's BagIt tool:
                   pip install bagit
                   bagit.py --validate .
            5. Everything at once, including every custody event's inclusion proof:
                   custody bundle verify \(BundleLayout.zipName(id))
               (add --key KEY.pem with the organisation's published key, and --server URL to check
               that its ledger still extends the checkpoint in this bundle).

            """
        return Array(t.utf8)
    }
}
