import CustodyCore
import Foundation
import TestSupport
import XCTest

/// What the network adds to an export: a damaged exhibit cut short mid-download, and HTTPS.
final class RemoteTransferCLITests: RemoteCLITestCase {
    func testADamagedChunkStopsTheDownloadLeavesNothingAndIsRecordedAsFailed() throws {
        let token = try register("EO-1", .evidenceOfficer)
        let file = TestPaths.fixture("bodycam-a.mp4")
        let ingested = try remote(["ingest", file, "--device", "D1", "--chunk-size", "65536"], token: token)
        XCTAssertEqual(ingested.status, 0, ingested.stderr)
        // The third 64 KiB chunk: two chunks go out before the server finds it damaged.
        let name = try runProcess("/bin/sh", ["-c", "head -c \(3 << 16) '\(file)' | tail -c \(1 << 16) | sha256sum"])
            .stdout.prefix(64)
        try damageChunk(name, at: 12345)

        let out = dir.file("x.mp4")
        let export = try remote(["export", "EX-000001", "--out", out, "--reason", "test"], token: token)
        XCTAssertEqual(export.status, 3, export.stderr)
        XCTAssertTrue(export.stderr.contains("the download of EX-000001 stopped"), export.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("x.mp4") },
                       [], "nothing at --out, no partial file beside it")
        let events = try eventLines()
        XCTAssertTrue(events.contains { $0.hasPrefix("officer:EO-1|export|ok|test") }, "\(events)")
        XCTAssertTrue(events.contains { $0.hasPrefix("officer:EO-1|export|failed|") && $0.contains("chunk 2") },
                      "\(events)")
    }

    func testABuiltBundlesZipIsDownloadedByAnOfficerWhoMakesBundlesAndNotCountedAsTheLinks() throws {
        let token = try register("EO-1", .evidenceOfficer)
        let auditor = try register("AU-1", .auditor)
        XCTAssertEqual(try remote(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "D1"], token: token)
            .status, 0)
        XCTAssertEqual(try remote(["case", "create", "CPS/1"], token: token).status, 0)
        XCTAssertEqual(try remote(["case", "add", "CPS/1", "EX-000001"], token: token).status, 0)
        let created = try remote(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@cps.gov.uk",
                                  "--max-downloads", "1", "--wait"], token: token)
        XCTAssertEqual(created.status, 0, created.stderr)
        XCTAssertTrue(created.stdout.hasPrefix("http://127.0.0.1:"), created.stdout)

        let out = dir.file("bundle.zip")
        let downloaded = try remote(["bundle", "download", "BN-000001", "--out", out, "--json"], token: token)
        XCTAssertEqual(downloaded.status, 0, downloaded.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)),
                       try Data(contentsOf: URL(fileURLWithPath: dir.file("data/bundles/BN-000001.zip"))))
        let shown = try remote(["bundle", "show", "BN-000001", "--json"], token: token)
        let bundle = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(bundle["downloads"] as? Int, 0, "an officer's copy is not the recipient's download")

        let refused = try remote(["bundle", "download", "BN-000001", "--out", dir.file("other.zip")], token: auditor)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("an auditor may not create court bundles"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("other.zip")))
        let events = try eventLines()
        XCTAssertTrue(events.contains { $0.hasPrefix("officer:EO-1|download|ok|") }, "\(events)")
        XCTAssertTrue(events.contains { $0.hasPrefix("officer:AU-1|share|refused|an auditor may not") }, "\(events)")
    }

    /// The CLI checks the server's certificate as the system trusts them (libcurl's CA bundle, under
    /// URLSession): a self-signed one is refused before any token is sent. (A certificate of a CA the
    /// system trusts is what production uses; this toolchain's URLSession takes no CA file of its own.)
    func testOverHTTPSAnUntrustedCertificateIsRefusedBeforeTheTokenIsSent() throws {
        server.process.terminate()
        server.process.waitUntilExit()
        let tls = try TLSFixture()
        server = try serve(["--tls-cert", tls.certificate, "--tls-key", tls.key])
        let token = try register("EO-1", .auditor)
        let untrusted = try remote(["ledger", "key"], token: token, server: "https://127.0.0.1:\(server.port)")
        XCTAssertEqual(untrusted.status, 3)
        XCTAssertTrue(untrusted.stderr.contains("could not be reached") && untrusted.stderr.contains("certificate"),
                      untrusted.stderr)
        XCTAssertFalse(server.log.text.contains("\"route\":\"api\""), "no request reached the API")
    }
}
