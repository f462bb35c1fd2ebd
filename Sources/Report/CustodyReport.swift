import Catalog
import CustodyCore
import Ledger

/// What a custody report holds, for a court or an auditor: one exhibit (or every exhibit of a case) with
/// its derived clips, every ledger event about them with its inclusion proof, the court bundles that
/// sent them and their downloads, and the signed checkpoint every proof leads to. `Vault.report`
/// gathers it; `ReportHTML` and `ReportJSON` render it without touching the vault.
public struct CustodyReport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case html, json
    }

    /// What the report is about: one exhibit, or a case.
    public enum Subject: Sendable, Equatable {
        case exhibit(String)
        case `case`(String)
    }

    /// An exhibit as the catalog holds it, and what the ledger says of it.
    public struct ExhibitSection: Sendable {
        public let exhibit: Exhibit
        public let chunks: Int
        /// The exhibit it was derived from (a redaction's source), when there is one.
        public let parent: Exhibit?
        /// The `seq` of the `ingest` or `redact` event that created it, and who that event names.
        public let creationEvent: Int64?
        public let storedBy: String?
        /// How the catalog disagrees with that event; empty when it agrees.
        public let ledgerDisagreements: [String]
        /// The cases it is in.
        public let cases: [String]

        public init(exhibit: Exhibit, chunks: Int, parent: Exhibit?, creationEvent: Int64?, storedBy: String?,
                    ledgerDisagreements: [String], cases: [String]) {
            self.exhibit = exhibit
            self.chunks = chunks
            self.parent = parent
            self.creationEvent = creationEvent
            self.storedBy = storedBy
            self.ledgerDisagreements = ledgerDisagreements
            self.cases = cases
        }
    }

    /// One exhibit the report is about, with every exhibit derived from it (and from those), in order.
    public struct Item: Sendable {
        public let section: ExhibitSection
        public let derived: [ExhibitSection]

        public init(section: ExhibitSection, derived: [ExhibitSection]) {
            self.section = section
            self.derived = derived
        }
    }

    /// A court bundle that sends one of the exhibits: its row, its clips, and the `download` events of
    /// its link (one before each response's first byte, one after its last), oldest first.
    public struct BundleSection: Sendable {
        public let bundle: BundleRegistry.Bundle
        public let items: [BundleRegistry.Item]
        public let downloads: [CustodyEvent]

        public init(bundle: BundleRegistry.Bundle, items: [BundleRegistry.Item], downloads: [CustodyEvent]) {
            self.bundle = bundle
            self.items = items
            self.downloads = downloads
        }
    }

    /// A case report's case and its members, in the order they were added.
    public struct CaseSection: Sendable {
        public let `case`: CaseRegistry.Case
        public let members: [CaseRegistry.Member]

        public init(case: CaseRegistry.Case, members: [CaseRegistry.Member]) {
            self.case = `case`
            self.members = members
        }
    }

    /// One ledger event and its C2SP `tlog-proof` against `ledger.checkpoint`.
    public struct Entry: Sendable {
        public let event: CustodyEvent
        public let proof: InclusionProof

        public init(event: CustodyEvent, proof: InclusionProof) {
            self.event = event
            self.proof = proof
        }

        /// The event's leaf index in the ledger's Merkle tree (its `seq`).
        public var leafIndex: UInt64 { proof.index }
        /// SHA-256(0x00 || leaf), RFC 6962.
        public var leafHash: String { Merkle.leafHash(event.leafBytes).hex }
    }

    /// What makes the report checkable: the signed checkpoint (C2SP `tlog-checkpoint`) every proof
    /// leads to, and the key that signed it.
    public struct LedgerState: Sendable {
        public let checkpoint: Checkpoint
        /// The C2SP verifier key: `<origin>+<key ID>+<base64(0x01 || key)>`.
        public let verifierKey: String
        public let publicKeyPEM: String

        public init(checkpoint: Checkpoint, verifierKey: String, publicKeyPEM: String) {
            self.checkpoint = checkpoint
            self.verifierKey = verifierKey
            self.publicKeyPEM = publicKeyPEM
        }
    }

    /// What a report leaves out because the role of the officer it is made for may not read it (an
    /// officer's report of their own recording: the exhibit's cases, court bundles, holds and retention),
    /// and the ledger events about those left out of the timeline. The report says so where it begins.
    public struct Withheld: Sendable, Equatable {
        /// The role of the officer the report is made for (`officer`).
        public let role: String
        /// What is not shown, as the report names it: `cases`, `court bundles`, `holds`, `retention`.
        public let what: [String]
        /// How many ledger events about them are left out of the timeline.
        public let events: Int
        /// The names `what` uses.
        public static let cases = "cases", bundles = "court bundles", holds = "holds", retention = "retention"

        public init(role: String, what: [String], events: Int) {
            self.role = role
            self.what = what
            self.events = events
        }

        /// "Cases and court bundles are not shown for your role (officer): 3 ledger events about them are
        /// left out."
        public var sentence: String {
            let list = what.count > 1 ? what.dropLast().joined(separator: ", ") + " and " + what[what.count - 1]
                : what.first ?? ""
            let first = list.prefix(1).uppercased() + list.dropFirst()
            let left = events == 1 ? "1 ledger event about them is left out"
                : "\(events == 0 ? "no" : String(events)) ledger events about them are left out"
            return "\(first) are not shown for your role (\(role)): \(left)."
        }
    }

    public let subject: Subject
    public let organization: String
    /// When it was made (RFC 3339 UTC) and by whom; its own `view` event is in the timeline.
    public let generatedAt: String
    public let generatedBy: Actor
    public let caseSection: CaseSection?
    public let items: [Item]
    public let bundles: [BundleSection]
    /// Every event about the exhibits, their derived clips, their bundles (and, for a case, the case),
    /// oldest first, each with its proof (but those `withheld` counts).
    public let timeline: [Entry]
    public let ledger: LedgerState
    /// What is left out for the role of the officer it is made for; nil when nothing is.
    public let withheld: Withheld?

    public init(subject: Subject, organization: String, generatedAt: String, generatedBy: Actor,
                caseSection: CaseSection?, items: [Item], bundles: [BundleSection], timeline: [Entry],
                ledger: LedgerState, withheld: Withheld? = nil) {
        self.subject = subject
        self.organization = organization
        self.generatedAt = generatedAt
        self.generatedBy = generatedBy
        self.caseSection = caseSection
        self.items = items
        self.bundles = bundles
        self.timeline = timeline
        self.ledger = ledger
        self.withheld = withheld
    }

    /// `Exhibit EX-000001` or `Case CPS/2026/1187`.
    public var title: String {
        switch subject {
        case .exhibit(let id): return "Exhibit \(id)"
        case .case(let ref): return "Case \(ref)"
        }
    }
}
