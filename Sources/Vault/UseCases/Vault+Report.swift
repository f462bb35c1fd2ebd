import Catalog
import CustodyCore
import Foundation
import Ledger
import Report

/// The custody report of an exhibit or a case (`custody report`, the API's `/api/v1/reports/`): made
/// for a court or an auditor, recorded as a `view` event {report: html|json} before anything is read,
/// then proved with everything else in a checkpoint signed at once. `ReportHTML` and `ReportJSON`
/// render it. What the acting officer's role may not read is left out, and said to be (`ReportScope`).
extension Vault {
    /// The report of the exhibit (`EX-000001`, a SHA-256 prefix) or the case `reference` names. A
    /// reference that names neither, or both, is refused (recorded); so is an actor without the `report`
    /// permission on the exhibit (or, for a case, without `readCases` too).
    public func report(_ reference: String, by actor: Actor, format: CustodyReport.Format = .html) throws
        -> CustodyReport {
        var details = ["report": format.rawValue]
        let subject = try reportSubject(reference, by: actor, details: details)
        let exhibits: [Exhibit], caseSection: CustodyReport.CaseSection?
        switch subject {
        case .exhibit(let exhibit):
            try authorize(actor, to: .report, exhibit: exhibit, details: details)
            try record(CustodyEvent(actor: actor, action: .view, exhibit: exhibit.id,
                                    objectSHA256: exhibit.sha256.hex, details: details))
            (exhibits, caseSection) = ([exhibit], nil)
        case .case(let found):
            details["case"] = found.ref
            // Cases first: an officer, who reaches only their own recordings, is refused as one who
            // may not read cases (not for naming no recording of theirs).
            try authorize(actor, to: .readCases, details: details)
            try authorize(actor, to: .report, details: details)
            try record(CustodyEvent(actor: actor, action: .view, caseID: found.ref, details: details))
            let members = try caseRegistry.members(of: found)
            exhibits = try members.map { try catalog.find($0.exhibit) }
            caseSection = CustodyReport.CaseSection(case: found, members: members)
        }
        guard let stored = try checkpoint() else { throw CustodyError.notFound(.checkpoint, "the ledger is empty") }
        let verifier = try noteVerifier()
        let opened = try Checkpoint.open(stored.note, verifier: verifier)
        let scope = try reportScope(actor)
        let items = try exhibits.map {
            CustodyReport.Item(section: try reportSection($0, scope), derived: try descendants($0, scope))
        }
        let ids = items.flatMap { [$0.section.exhibit.id] + $0.derived.map(\.exhibit.id) }
        let cases = caseSection.map { [$0.case.ref] } ?? []
        let sending = try bundleRegistry.bundles(sending: ids, orOf: cases)
        let about = try events.events(exhibits: ids, cases: cases, bundles: sending.map(\.id), below: stored.size)
        let bundles = scope.shows(.readBundles) ? sending : []
        let events = about.filter(scope.shows)
        return CustodyReport(
            subject: caseSection.map { .case($0.case.ref) } ?? .exhibit(exhibits[0].id),
            organization: try organization(), generatedAt: Timestamp.rfc3339(), generatedBy: actor,
            caseSection: caseSection, items: items,
            bundles: try bundles.map { b in
                CustodyReport.BundleSection(bundle: b, items: try bundleRegistry.items(of: b.id), downloads: events
                    .filter { $0.action == .download && $0.details["bundle"] == b.id })
            },
            timeline: try events.map {
                .init(event: $0, proof: try inclusionProof(of: $0, in: stored, opened: opened))
            },
            ledger: .init(checkpoint: opened, verifierKey: verifier.vkey,
                          publicKeyPEM: try String(contentsOfFile: directory.ledgerPublicKey, encoding: .utf8)),
            withheld: scope.withheld(events: about.count - events.count))
    }

    /// The exhibit `reference` names, or else the case; neither or both is a refused `view`, recorded.
    private func reportSubject(_ reference: String, by actor: Actor, details: [String: String]) throws
        -> ReportSubject {
        let exhibit: Result<Exhibit, CustodyError>
        do { exhibit = .success(try catalog.find(reference)) } catch let e as CustodyError where e.isCallersFault {
            exhibit = .failure(e)
        }
        let found = CaseRegistry.isValidRef(reference) ? try caseRegistry.find(reference) : nil
        var why: CustodyError
        switch (exhibit, found) {
        case (.success(let x), nil): return .exhibit(x)
        case (.failure, let c?): return .case(c)
        case (.success(let x), let c?):
            why = .invalidInput(field: "reference", "\(reference) names both exhibit \(x.id) and case \(c.ref); "
                                + "give the exhibit's SHA-256 prefix to report on the exhibit")
        case (.failure(let e), nil):
            // A reference that can be no exhibit's (not `EX-`, not hex) but a case's: say both were looked for.
            let exhibitLike = reference.uppercased().hasPrefix("EX-")
                || (reference.count >= 6 && reference.allSatisfy(\.isHexDigit))
            why = !exhibitLike && CaseRegistry.isValidRef(reference)
                ? .notFound(.case, "no exhibit or case \(reference)") : e
        }
        var refused = details
        refused["reference"] = String(reference.prefix(100))
        refuse(actor, .view, reason: why.message, details: refused)
        throw why
    }

    /// What the report shows of one exhibit (its cases only to a role that may read them).
    private func reportSection(_ exhibit: Exhibit, _ scope: ReportScope) throws -> CustodyReport.ExhibitSection {
        let creation = try events.creationEvent(exhibit: exhibit.id)
        return CustodyReport.ExhibitSection(
            exhibit: exhibit, chunks: (try? catalog.chunks(of: exhibit).count) ?? 0,
            parent: try exhibit.parentSHA256.flatMap { try catalog.exhibit(sha256: $0) },
            creationEvent: creation?.seq,
            storedBy: creation.map { "\($0.actor.kind.rawValue) \($0.actor.id)" },
            ledgerDisagreements: try ledgerDisagreements(exhibit),
            cases: scope.shows(.readCases) ? try caseRegistry.cases(of: exhibit.id) : [])
    }

    /// Every exhibit derived from `exhibit`, and from those, in the order they were made.
    private func descendants(_ exhibit: Exhibit, _ scope: ReportScope) throws -> [CustodyReport.ExhibitSection] {
        var seen: Set<String> = [exhibit.id], queue = [exhibit], found = [Exhibit]()
        while !queue.isEmpty {
            for child in try catalog.derived(from: queue.removeFirst()) where seen.insert(child.id).inserted {
                found.append(child)
                queue.append(child)
            }
        }
        return try found.map { try reportSection($0, scope) }
            .sorted { ($0.creationEvent ?? .max) < ($1.creationEvent ?? .max) }
    }
}

/// What a report's reference names.
enum ReportSubject {
    case exhibit(Exhibit)
    case `case`(CaseRegistry.Case)
}
