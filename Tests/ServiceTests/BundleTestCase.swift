import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import Vault
import XCTest
@testable import Service
@testable import Vault

/// A running service with a built court bundle made without the worker: a case with one ingested
/// exhibit, a `bundles` row marked built and any bytes at `bundles/<id>.zip`.
class BundleTestCase: TusTestCase {
    let clock = ManualClock()
    let recipient = "j.smith@cps.gov.uk"
    var base: String { "http://127.0.0.1:\(port)" }

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.sweepInterval = 3600  // no round but those the test runs
        c.transferJobs = 0  // the bundles are made here: the service's worker would build them again
    }

    /// A built bundle holding `zip` (random bytes by default) whose link expires in `expiresIn`
    /// seconds on the test clock; returns its ID and its link's query.
    @discardableResult
    func builtBundle(_ zip: [UInt8]? = nil, sparse: Int64? = nil, expiresIn: Int64 = 86_400,
                     maxDownloads: Int64? = nil) throws -> (id: String, query: String) {
        let clip = try file("clip.mp4", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let source = IngestSource(filename: "<b>Ken's \"clip\".mp4", device: "BW2-1")
        let exhibit = try vault.ingest(path: clip, source: source, actor: .officer("PC-1")).exhibit
        if try vault.caseRegistry.find("CASE-1") == nil {
            _ = try vault.createCase("CASE-1", title: "R v <Smith> & \"Jones\"", by: .officer("PC-1"))
        }
        let expires = clock.now + expiresIn
        let id = try vault.db.transaction { () -> String in
            let id = try vault.bundleRegistry.insert(
                caseRef: "CASE-1", recipient: recipient, createdBy: "PC-1", expiresIn: expiresIn,
                maxDownloads: maxDownloads, items: [.init(index: 0, exhibit: exhibit.id, spec: nil)],
                now: Timestamp.rfc3339())
            return id
        }
        try FileManager.default.createDirectory(atPath: directory.bundles, withIntermediateDirectories: true)
        let path = directory.bundles + "/\(id).zip"
        var size: Int64
        if let sparse {
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
            XCTAssertEqual(truncate(path, off_t(sparse)), 0)
            size = sparse
        } else {
            let bytes = zip ?? random(3 << 20)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            size = Int64(bytes.count)
        }
        let sha = try sha256sum(path)
        let expiresAt = Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(expires)))
        try vault.db.transaction {
            try vault.bundleRegistry.markBuilt(id, size: size, sha256: sha, checkpointSize: 1,
                                               builtAt: Timestamp.rfc3339(), expiresAt: expiresAt)
        }
        return (id, try vault.linkQuery(bundle: id, recipient: recipient, expires: expires))
    }

    /// `count` bytes of a fresh pseudo-random sequence.
    func random(_ count: Int) -> [UInt8] {
        var rng = SplitMix64(state: UInt64.random(in: 0...UInt64.max))
        return rng.bytes(count)
    }

    func landingURL(_ id: String, _ query: String) -> String { "\(base)/bundles/\(id)?\(query)" }
    func zipURL(_ id: String, _ query: String) -> String { "\(base)/bundles/\(id)/\(id).zip?\(query)" }

    /// `curl -s -D -` of `url` into `out` (or nowhere); returns the status and lower-cased headers.
    @discardableResult
    func fetch(_ url: String, to out: String = "/dev/null", _ extra: [String] = []) throws
        -> (status: Int, headers: [String: String]) {
        let r = try runProcess(try XCTUnwrap(which("curl")), ["-s", "--max-time", "60", "-D", "-", "-o", out]
                               + extra + [url])
        let lines = r.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n")
        let statusLine = lines.last { $0.hasPrefix("HTTP/") } ?? ""
        var fields = [String: String]()
        for line in lines { if let colon = line.firstIndex(of: ":") {
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        } }
        return (Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0, fields)
    }

    /// The `download` and `view` events after the first `after`.
    func linkEvents(after: Int) throws -> [CustodyEvent] {
        try events().dropFirst(after).filter { $0.action == .download || $0.action == .view }
    }
}
