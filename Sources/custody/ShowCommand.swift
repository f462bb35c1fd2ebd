import Catalog
import CustodyCore
import Ledger
import Vault

struct ShowCommand: Command {
    static let name = "show"
    static let summary = "Show one exhibit: identity, provenance, media details, derived exhibits."
    static let usage = """
        show EXHIBIT [--as ID] [--data DIR] [--json]

        EXHIBIT is a catalog ID (EX-000001) or a unique SHA-256 prefix of at least 6 hex digits.
        Viewing is a custody event, so an acting officer is needed. Exit 1 (after showing it) when the
        catalog disagrees with the exhibit's ingest or redact event in the ledger.
        """
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let reference: String

    init(_ args: Arguments) throws {
        reference = try args.positionals(exactly: ["EXHIBIT"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let view = try Context.openVault(args).show(reference, by: Context.acting(args))
        let (exhibit, derived, parent, storedBy) = (view.exhibit, view.derived, view.parent, view.storedBy)
        // What is shown comes from the catalog; the ledger's signed record of the exhibit decides.
        let disagreements = view.ledgerDisagreements
        for problem in disagreements {
            Output.note("warning: the catalog disagrees with the ledger: \(exhibit.id) \(problem)")
        }
        let status: Int32 = disagreements.isEmpty ? 0 : 1
        if args.flag("json") {
            var o = ExhibitJSON.object(exhibit)
            o["chunks"] = view.chunks
            o["ingested_by"] = storedBy
            o["ledger_disagreements"] = disagreements
            o["derived"] = derived.map { ["id": $0.id, "sha256": $0.sha256.hex] }
            if let parent { o["parent"] = parent.id }
            if let spec = exhibit.spec { o["spec"] = spec }
            Output.json(o)
            return status
        }
        var rows: [(String, String)] = [
            ("Exhibit", exhibit.id), ("SHA-256", exhibit.sha256.hex),
            ("Size", "\(exhibit.size) bytes (\(Format.bytes(exhibit.size)), \(view.chunks) chunk"
                + (view.chunks == 1 ? ")" : "s)")),
            ("File", exhibit.filename ?? "-"), ("Device", exhibit.device), ("Officer", exhibit.officer),
            ("Ingested by", storedBy ?? "-"), ("Ingested at", exhibit.ingestedAt),
            ("Captured at", exhibit.capturedAt ?? "-"),
            ("Status", exhibit.status.rawValue + (exhibit.unreadableReason.map { ": \($0)" } ?? "")),
        ]
        if let m = exhibit.media {
            rows.append(("Media", ExhibitJSON.mediaSummary(exhibit)))
            rows.append(("Container", m.container))
            for (k, v) in m.tags.sorted(by: { $0.key < $1.key }) { rows.append(("  " + k, v)) }
        }
        if let p = exhibit.parentSHA256 { rows.append(("Derived from", "\(parent?.id ?? "?") \(p.hex)")) }
        if let s = exhibit.specSHA256 { rows.append(("Spec SHA-256", s.hex)) }
        if let spec = exhibit.spec { rows.append(("Spec", spec)) }
        for d in derived { rows.append(("Derived", "\(d.id) \(d.sha256.hex)")) }
        for problem in disagreements { rows.append(("LEDGER DISAGREES", problem)) }
        let width = rows.map(\.0.count).max() ?? 0
        for (k, v) in rows {
            let key = k.escapedForTerminal.padding(toLength: width, withPad: " ", startingAt: 0)
            print("\(key)  \(v.escapedForTerminal)")
        }
        return status
    }
}
