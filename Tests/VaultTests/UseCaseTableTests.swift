import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import Uploads
import XCTest
@testable import Vault

/// Every use case of the application layer, once allowed and once refused: each records exactly the
/// events it promises (actor, action, outcome), a refused one exactly one refused event, and a
/// refused one changes nothing else (catalog, chunk files, uploads, devices).
final class UseCaseTableTests: XCTestCase {
    let officer = Actor.officer("PC-1")
    /// The CLI's acting party when no officer is named: the login user.
    let nobody = Actor(id: "someone", kind: .system)
    let dock = Actor.device("dock-1")
    var dir: TemporaryDirectory!
    var vault: Vault!
    var store: UploadStore!
    var uploads = [String]()

    override func setUpWithError() throws {
        dir = TemporaryDirectory("use-cases")
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "test", actor: officer).0
        store = try UploadStore(vault: vault)
        _ = try vault.addDevice("dock-1", by: officer)
        _ = try vault.addDevice("dock-old", by: officer)
        try vault.revokeDevice("dock-old", by: officer)
    }

    override func tearDown() {
        store = nil
        vault = nil
        dir?.remove()
    }

    /// (actor, action, outcome) of each event a use case appended.
    typealias Recorded = [String]
    static func row(_ actor: Actor, _ action: CustodyEvent.Action, _ outcome: CustodyEvent.Outcome) -> String {
        "\(actor) \(action.rawValue) \(outcome.rawValue)"
    }

    /// Runs `body` and returns the events it appended, whether it threw or not (and whether it threw).
    func appended(_ body: () throws -> Void) throws -> (Recorded, threw: (any Error)?) {
        let before = try vault.events.count()
        var threw: (any Error)?
        do { try body() } catch { threw = error }
        let added = try vault.events.events(from: before)
        return (added.map { Self.row($0.actor, $0.action, $0.outcome) }, threw)
    }

    /// What a refusal must leave alone.
    func state() throws -> [String] {
        let exhibits = try vault.catalog.all().map { "exhibit \($0.id) \($0.sha256)" }
        let chunks = (FileManager.default.enumerator(atPath: vault.directory.chunks)?.allObjects as? [String] ?? [])
            .sorted().map { "chunk \($0)" }
        let uploadFiles = (FileManager.default.enumerator(atPath: vault.directory.uploads)?.allObjects as? [String]
                           ?? []).sorted().map { "upload file \($0)" }
        let uploadRows = try uploads.compactMap { try store.get($0) }.map { "upload \($0.id) \($0.state) \($0.offset)" }
        let devices = try vault.devices(for: officer).map { "device \($0.name) \($0.isActive)" }
        let cases = try CaseRegistry(db: vault.db).all().map { "case \($0.ref) \($0.title ?? "") \($0.exhibits)" }
        let bundles = try vault.bundleRegistry.all().map { b in
            "bundle \(b.id) \(b.state) \(b.attempts) \(b.revokedAt ?? "-") \(try vault.bundleRegistry.items(of: b.id))"
        }
        return exhibits + chunks + uploadFiles + uploadRows + devices + cases + bundles
    }

    /// `records`: the refused event by default; none for a refusal the service records within the
    /// dock's refusal budget (`TusHandler.recordRefusal`), as it records the dock's protocol refusals.
    func assertRefused(_ name: String, by actor: Actor, _ action: CustodyEvent.Action, records: Recorded? = nil,
                       file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) throws {
        let before = try state()
        let (events, threw) = try appended(body)
        XCTAssertNotNil(threw, "\(name) was refused", file: file, line: line)
        XCTAssertEqual(events, records ?? [Self.row(actor, action, .refused)], name, file: file, line: line)
        XCTAssertEqual(try state(), before, "\(name) refused changed nothing else", file: file, line: line)
    }

    func assertAllowed(_ name: String, records expected: Recorded, file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> Void) throws {
        let (events, threw) = try appended(body)
        XCTAssertNil(threw, name, file: file, line: line)
        XCTAssertEqual(events, expected, name, file: file, line: line)
    }

    func newUpload(_ bytes: Int, ttl: Int64 = 60) throws -> Upload {
        let upload = try vault.createUpload(by: dock, length: Int64(bytes), metadata: UploadMetadata(), ttl: ttl,
                                            in: store)
        uploads.append(upload.id)
        return upload
    }

    func reader(_ bytes: [UInt8]) -> (UnsafeMutableRawBufferPointer) throws -> Int {
        var at = 0
        return { buffer in
            let n = min(buffer.count, bytes.count - at)
            bytes[at..<(at + n)].withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            at += n
            return n
        }
    }

    func testEvidenceUseCases() throws {
        let file = TestPaths.fixture("bodycam-b.mp4")
        let source = IngestSource(filename: "b.mp4", device: "BW2-1")
        try assertRefused("ingest", by: nobody, .ingest) {
            _ = try vault.ingest(path: file, source: source, actor: nobody)
        }
        var exhibit: Exhibit!
        try assertAllowed("ingest", records: [Self.row(officer, .ingest, .ok)]) {
            exhibit = try vault.ingest(path: file, source: source, actor: officer).exhibit
        }

        try assertRefused("show", by: nobody, .view) { _ = try vault.show(exhibit.id, by: nobody) }
        try assertRefused("show of an unknown exhibit", by: officer, .view) {
            _ = try vault.show("EX-000042", by: officer)
        }
        try assertAllowed("show", records: [Self.row(officer, .view, .ok)]) {
            _ = try vault.show(exhibit.id, by: officer)
        }

        try assertRefused("list", by: nobody, .view) { _ = try vault.exhibits(for: nobody) }
        try assertAllowed("list", records: []) { XCTAssertEqual(try vault.exhibits(for: officer).count, 1) }

        let out = dir.file("out.mp4")
        try assertRefused("export", by: nobody, .export) {
            try vault.export(exhibit, to: out, actor: nobody, reason: "CPS 1")
        }
        try assertRefused("export of an unknown exhibit", by: officer, .export) {
            _ = try vault.export("EX-000042", to: out, by: officer, reason: "CPS 1")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        try assertAllowed("export", records: [Self.row(officer, .export, .ok)]) {
            _ = try vault.export(exhibit.id, to: out, by: officer, reason: "CPS 1")
        }

        let clip = Array(#"{"clip": [0.5, 1.5]}"#.utf8)
        try assertRefused("redact", by: nobody, .redact) {
            _ = try vault.redact(exhibit.id, spec: clip, reason: "CPS 2", by: nobody)
        }
        try assertRefused("redact of an unknown exhibit", by: officer, .redact) {
            _ = try vault.redact("EX-000042", spec: clip, reason: "CPS 2", by: officer)
        }
        // Two events by design: one on the parent before its bytes are read, one on the derived exhibit.
        try assertAllowed("redact", records: [Self.row(officer, .redact, .ok), Self.row(officer, .redact, .ok)]) {
            _ = try vault.redact(exhibit.id, spec: clip, reason: "CPS 2", by: officer)
        }

        try assertRefused("verify", by: nobody, .verify) { _ = try vault.verify(actor: nobody) }
        try assertAllowed("verify", records: [Self.row(officer, .verify, .ok)]) {
            XCTAssertTrue(try vault.verify(actor: officer).isIntact)
        }

        // Reading the ledger takes an officer whose role may (`readLedger`); allowed, it is not recorded.
        let latestNote = try XCTUnwrap(try vault.events.latestCheckpoint()).note
        try assertRefused("ledger log", by: nobody, .view) { _ = try vault.ledgerEvents(of: nil, for: nobody) }
        try assertRefused("ledger log of an exhibit", by: nobody, .view) {
            _ = try vault.ledgerEvents(of: exhibit.id, for: nobody)
        }
        try assertRefused("ledger checkpoint", by: nobody, .view) { _ = try vault.latestCheckpoint(for: nobody) }
        try assertRefused("ledger key", by: nobody, .view) { _ = try vault.ledgerKey(for: nobody) }
        try assertRefused("ledger proof", by: nobody, .view) {
            _ = try vault.inclusionProof(seq: 0, size: nil, for: nobody)
        }
        try assertRefused("ledger consistency", by: nobody, .view) {
            _ = try vault.consistencyProof(from: latestNote, label: "it", for: nobody)
        }
        try assertRefused("ledger verify", by: nobody, .view) { _ = try vault.verifyLedger(external: [], for: nobody) }
        try assertAllowed("ledger reads", records: []) {
            XCTAssertFalse(try vault.ledgerEvents(of: exhibit.id, for: officer).1.isEmpty)
            let latest = try vault.latestCheckpoint(for: officer).stored
            XCTAssertEqual(try vault.ledgerKey(for: officer).verifier.name, try vault.ledgerOrigin())
            XCTAssertEqual(try vault.inclusionProof(seq: 0, size: nil, for: officer).checkpoint.size, latest.size)
            XCTAssertEqual(try vault.consistencyProof(from: latest.note, label: "it", for: officer).old.size,
                           latest.size)
            XCTAssertTrue(try vault.verifyLedger(external: [], for: officer).isIntact)
        }
        // What the service publishes to anyone: not recorded, refused or not, and nothing signed.
        try vault.events.append(CustodyEvent(actor: officer, action: .view))  // past the newest checkpoint
        let checkpoints = try vault.events.checkpoints().count
        try assertAllowed("published ledger reads", records: []) {
            let newest = try vault.newestCheckpoint(for: nobody)
            XCTAssertEqual(try vault.publishedLedgerKey().verifier.name, try vault.ledgerOrigin())
            XCTAssertEqual(try vault.consistencyProof(from: 1, to: nil, for: nobody).newSize, newest.size)
            XCTAssertThrowsError(try vault.consistencyProof(from: newest.size + 1, to: nil, for: nobody))
            XCTAssertThrowsError(try vault.consistencyProof(from: 1, to: newest.size + 1, for: nobody))
        }
        XCTAssertEqual(try vault.events.checkpoints().count, checkpoints, "a published read signs nothing")
        try assertAllowed("health", records: []) {
            XCTAssertEqual(try Vault.health(of: vault.directory).events, try vault.events.count())
        }
    }

    func testDeviceUseCases() throws {
        try assertRefused("device add", by: nobody, .device) { _ = try vault.addDevice("dock-2", by: nobody) }
        try assertRefused("device add by a dock", by: dock, .device) { _ = try vault.addDevice("dock-2", by: dock) }
        try assertRefused("device add of a taken name", by: officer, .device) {
            _ = try vault.addDevice("dock-1", by: officer)
        }
        try assertAllowed("device add", records: [Self.row(officer, .device, .ok)]) {
            _ = try vault.addDevice("dock-2", by: officer)
        }
        try assertRefused("device list", by: nobody, .view) { _ = try vault.devices(for: nobody) }
        try assertAllowed("device list", records: []) { XCTAssertEqual(try vault.devices(for: officer).count, 3) }
        try assertRefused("device revoke", by: nobody, .device) { try vault.revokeDevice("dock-2", by: nobody) }
        try assertRefused("device revoke of an unknown device", by: officer, .device) {
            try vault.revokeDevice("dock-9", by: officer)
        }
        try assertAllowed("device revoke", records: [Self.row(officer, .device, .ok)]) {
            try vault.revokeDevice("dock-2", by: officer)
        }
    }

    func testCaseUseCases() throws {
        let exhibit = try vault.ingest(path: TestPaths.fixture("bodycam-b.mp4"),
                                       source: IngestSource(filename: "b.mp4", device: "BW2-1"), actor: officer).exhibit
        try assertRefused("case create", by: nobody, .link) {
            _ = try vault.createCase("CPS/1", title: nil, by: nobody)
        }
        try assertRefused("case create by a dock", by: dock, .link) {
            _ = try vault.createCase("CPS/1", title: nil, by: dock)
        }
        try assertRefused("case create with a bad reference", by: officer, .link) {
            _ = try vault.createCase("../CPS\n1", title: nil, by: officer)
        }
        try assertAllowed("case create", records: [Self.row(officer, .link, .ok)]) {
            _ = try vault.createCase("CPS/1", title: "Kestrel", by: officer)
        }
        try assertRefused("case create of a taken reference", by: officer, .link) {
            _ = try vault.createCase("cps/1", title: nil, by: officer)
        }

        try assertRefused("case add", by: nobody, .link) {
            _ = try vault.addToCase("CPS/1", exhibits: [exhibit.id], by: nobody)
        }
        try assertRefused("case add to an unknown case", by: officer, .link) {
            _ = try vault.addToCase("CPS/9", exhibits: [exhibit.id], by: officer)
        }
        try assertRefused("case add of an unknown exhibit, with a known one", by: officer, .link) {
            _ = try vault.addToCase("CPS/1", exhibits: [exhibit.id, "EX-000042"], by: officer)
        }
        // The same exhibit twice, by ID and by SHA-256 prefix: one addition, one event.
        try assertAllowed("case add", records: [Self.row(officer, .link, .ok)]) {
            let added = try vault.addToCase("cps/1", exhibits: [exhibit.id, String(exhibit.sha256.hex.prefix(8))],
                                            by: officer)
            XCTAssertEqual(added.map(\.added), [true])
        }
        try assertAllowed("case add of an exhibit in the case already", records: []) {
            XCTAssertEqual(try vault.addToCase("CPS/1", exhibits: [exhibit.id], by: officer).map(\.added), [false])
        }
        let link = try vault.events.events().last { $0.action == .link }
        XCTAssertEqual(link?.exhibit, exhibit.id)
        XCTAssertEqual(link?.caseID, "CPS/1")
        XCTAssertEqual(link?.objectSHA256, exhibit.sha256.hex)
        XCTAssertEqual(link?.details, ["case": "CPS/1", "change": "added"])

        try assertRefused("case list", by: nobody, .view) { _ = try vault.cases(for: nobody) }
        try assertAllowed("case list", records: []) {
            XCTAssertEqual(try vault.cases(for: officer).map(\.exhibits), [1])
        }
        try assertRefused("case show", by: nobody, .view) { _ = try vault.caseDetail("CPS/1", for: nobody) }
        try assertRefused("case show of an unknown case", by: officer, .view) {
            _ = try vault.caseDetail("CPS/2", for: officer)
        }
        try assertAllowed("case show", records: []) {
            XCTAssertEqual(try vault.caseDetail("CPS/1", for: officer).exhibits.map(\.exhibit.id), [exhibit.id])
        }
    }

    /// A case change and its event commit together: an event that cannot be written leaves no case.
    func testACaseChangeWhoseEventCannotBeWrittenIsNotMade() throws {
        try vault.db.execute("CREATE TEMP TRIGGER no_events BEFORE INSERT ON events "
                             + "BEGIN SELECT RAISE(ABORT, 'the ledger cannot be written'); END")
        XCTAssertThrowsError(try vault.createCase("CPS/1", title: nil, by: officer))
        try vault.db.execute("DROP TRIGGER no_events")
        XCTAssertEqual(try vault.cases(for: officer), [])
    }

    func testUploadUseCases() throws {
        let revoked = Actor.device("dock-old")
        try assertRefused("upload create by a revoked dock", by: revoked, .upload) {
            _ = try vault.createUpload(by: revoked, length: 10, metadata: UploadMetadata(), ttl: 60, in: store)
        }
        try assertRefused("upload create by the CLI's login user", by: nobody, .upload) {
            _ = try vault.createUpload(by: nobody, length: 10, metadata: UploadMetadata(), ttl: 60, in: store)
        }
        try assertRefused("upload create by an officer", by: officer, .upload) {
            _ = try vault.createUpload(by: officer, length: 10, metadata: UploadMetadata(), ttl: 60, in: store)
        }
        var upload: Upload!
        try assertAllowed("upload create", records: [Self.row(dock, .upload, .ok)]) { upload = try newUpload(3000) }

        let bytes = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        try assertRefused("upload append by a revoked dock", by: revoked, .upload) {
            _ = try vault.appendToUpload(upload, by: revoked, checksum: nil, ttl: 60, hasher: hasher, in: store,
                                         read: reader(bytes))
        }
        // Refused as an unknown upload; the service records it within that dock's refusal budget
        // (TusDockRefusalBudgetTests), so the use case records nothing itself.
        try assertRefused("upload of another dock's", by: .device("dock-2-never"), .upload, records: []) {
            _ = try vault.upload(upload.id, of: .device("dock-2-never"), in: store)
        }
        // Moving the offset is not a custody event; the upload's creation and completion are.
        try assertAllowed("upload append", records: []) {
            upload = try vault.appendToUpload(upload, by: dock, checksum: nil, ttl: 60, hasher: hasher, in: store,
                                              read: reader(bytes))
        }
        try assertRefused("upload complete by a revoked dock", by: revoked, .upload) {
            _ = try vault.completeUpload(upload, by: revoked, hasher: hasher, in: store)
        }
        // The exhibit's creation event (by the dock) and the upload's completion.
        try assertAllowed("upload complete", records: [Self.row(dock, .ingest, .ok), Self.row(dock, .upload, .ok)]) {
            upload = try vault.completeUpload(upload, by: dock, hasher: hasher, in: store)
        }

        let abandoned = try newUpload(10)
        try assertRefused("upload terminate by a revoked dock", by: revoked, .upload) {
            try vault.terminateUpload(abandoned, by: revoked, in: store)
        }
        try assertAllowed("upload terminate", records: [Self.row(dock, .upload, .ok)]) {
            try vault.terminateUpload(abandoned, by: dock, in: store)
        }

        let expired = try newUpload(10, ttl: -1)  // already past its expiry: no waiting
        try assertRefused("upload expire by an officer", by: officer, .upload) {
            _ = try vault.expireUpload(expired.id, by: officer, in: store)
        }
        // The login user is a system actor too, but not custody itself.
        try assertRefused("upload expire by the CLI's login user", by: nobody, .upload) {
            _ = try vault.expireUpload(expired.id, by: nobody, in: store)
        }
        try assertAllowed("upload expire", records: [Self.row(.system, .upload, .failed)]) {
            XCTAssertNotNil(try vault.expireUpload(expired.id, in: store))
        }
    }

    /// A command line refused before its use case runs goes through the same door.
    func testARefusedCommandLineIsOneRefusedEvent() throws {
        try assertRefused("command line", by: officer, .export) {
            throw vault.refuse(officer, .export, reason: "missing --out FILE")
        }
    }

    /// A refusal says whether the ledger holds it, so that a front end records (or logs) one that is not.
    func testARefusalSaysWhetherItsEventWasWritten() throws {
        let revoked = Actor.device("dock-old")
        func refusal() -> CustodyError? {
            do { _ = try vault.createUpload(by: revoked, length: 10, metadata: UploadMetadata(), ttl: 60, in: store) }
            catch { return error as? CustodyError }
            return nil
        }
        XCTAssertEqual(refusal()?.recorded, true)
        try vault.db.execute("CREATE TEMP TRIGGER no_events BEFORE INSERT ON events "
                             + "BEGIN SELECT RAISE(ABORT, 'the ledger cannot be written'); END")
        let unwritten = refusal()
        XCTAssertEqual(unwritten?.kind, .refused)
        XCTAssertEqual(unwritten?.recorded, false)
    }
}
