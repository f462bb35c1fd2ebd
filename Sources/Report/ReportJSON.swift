import Catalog
import Crypto
import CustodyCore
import Foundation
import Ledger

/// A custody report as one JSON object (`custody report --json`, the API's `format=json`): everything
/// the HTML shows, and each event's leaf index, leaf hash and C2SP `tlog-proof` (the checkpoint it
/// leads to is `ledger.checkpoint`), so a script can check every proof.
public enum ReportJSON {
    public static func object(_ report: CustodyReport) -> [String: Any] {
        var o: [String: Any] = [
            "report": [
                "subject": subjectKind(report.subject), "reference": reference(report.subject),
                "organization": report.organization, "generated_at": report.generatedAt,
                "generated_by": report.generatedBy.id, "generated_by_kind": report.generatedBy.kind.rawValue,
            ] as [String: Any],
            "exhibits": report.items.map { item in
                var e = exhibit(item.section)
                e["derived"] = item.derived.map(exhibit)
                return e
            },
            "bundles": report.bundles.map(bundle),
            "events": report.timeline.map(entry),
            "ledger": [
                "origin": report.ledger.checkpoint.origin, "checkpoint": report.ledger.checkpoint.note,
                "checkpoint_size": report.ledger.checkpoint.size, "root": report.ledger.checkpoint.root.hex,
                "verifier_key": report.ledger.verifierKey, "public_key_pem": report.ledger.publicKeyPEM,
            ] as [String: Any],
        ]
        if let w = report.withheld {
            o["not_shown"] = ["role": w.role, "what": w.what, "events_left_out": w.events, "note": w.sentence]
                as [String: Any]
        }
        if let c = report.caseSection {
            var value: [String: Any] = [
                "ref": c.case.ref, "created_at": c.case.createdAt, "created_by": c.case.createdBy,
                "members": c.members.map { ["exhibit": $0.exhibit, "added_at": $0.addedAt, "added_by": $0.addedBy] },
            ]
            value["title"] = c.case.title
            o["case"] = value
        }
        return o
    }

    /// The report as UTF-8 JSON text: sorted keys, pretty, `/` unescaped, a final line feed.
    public static func text(_ report: CustodyReport) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object(report),
                                                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func subjectKind(_ subject: CustodyReport.Subject) -> String {
        if case .case = subject { return "case" }
        return "exhibit"
    }

    static func reference(_ subject: CustodyReport.Subject) -> String {
        switch subject {
        case .exhibit(let id): return id
        case .case(let ref): return ref
        }
    }

    static func exhibit(_ s: CustodyReport.ExhibitSection) -> [String: Any] {
        var o = s.exhibit.jsonObject
        o["chunks"] = s.chunks
        o["parent"] = s.parent?.id
        o["spec"] = s.exhibit.spec
        o["creation_event"] = s.creationEvent
        o["ingested_by"] = s.storedBy
        o["ledger_disagreements"] = s.ledgerDisagreements
        o["cases"] = s.cases
        return o
    }

    static func bundle(_ s: CustodyReport.BundleSection) -> [String: Any] {
        let b = s.bundle
        var o: [String: Any] = [
            "id": b.id, "case": b.caseRef, "recipient": b.recipient, "created_by": b.createdBy,
            "created_at": b.createdAt, "state": b.state.rawValue, "downloads": b.downloads,
            "items": s.items.map { item -> [String: Any] in
                var i: [String: Any] = ["exhibit": item.exhibit]
                i["spec_sha256"] = item.spec.map { SHA256.hash($0).hex }
                i["derived"] = item.derived
                return i
            },
            "download_events": s.downloads.map(\.seq),
        ]
        o["max_downloads"] = b.maxDownloads
        o["built_at"] = b.builtAt
        o["expires_at"] = b.expiresAt
        o["size"] = b.size
        o["sha256"] = b.sha256
        o["checkpoint_size"] = b.checkpointSize
        o["revoked_at"] = b.revokedAt
        o["revoked_by"] = b.revokedBy
        o["revoke_reason"] = b.revokeReason
        o["removed_at"] = b.removedAt
        return o
    }

    static func entry(_ e: CustodyReport.Entry) -> [String: Any] {
        var o = e.event.jsonObject
        o["leaf_index"] = e.leafIndex
        o["proof"] = e.proof.text
        return o
    }
}
