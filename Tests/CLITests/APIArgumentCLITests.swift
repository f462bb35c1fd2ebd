import CustodyCore
import Foundation
import TestSupport
import XCTest

/// What the API refuses in a command line besides `--as`, `--data` and `--server` themselves: control
/// characters in arguments, in the paths of files sent and in an ingest's `file=`; and the child's own
/// guard, which refuses `--as` and `--data` whatever got past the server.
final class APIArgumentCLITests: RemoteCLITestCase {
    func testControlCharactersInArgumentsFilePathsAndIngestNamesAreRefusedAndRecorded() throws {
        let token = try register("EO-1", .evidenceOfficer)
        let bearer = ["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json"]
        let bodies = [
            #"{"argv": ["list", "--json\n"]}"#,
            #"{"argv": ["case", "create", "CPS/1\u001b[2J"]}"#,
            #"{"argv": ["redact", "EX-000001", "--spec", "s\u0000.json"], "files": {"s\u0000.json": "e30="}}"#,
            #"{"argv": ["list"], "files": {"a\tb": "e30="}}"#,
        ]
        for body in bodies {
            let r = try curl(bearer + ["--data", body, "\(url)/api/v1/commands"])
            XCTAssertEqual(r.status, 400, "\(body): \(r.body)")
            XCTAssertTrue(r.body.contains("control character"), r.body)
        }
        let argv = try XCTUnwrap(#"["ingest","a.bin","--device","BW2-1"]"#
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let upload = try curl(["-H", "Authorization: Bearer \(token)", "--data-binary", "bytes",
                               "\(url)/api/v1/exhibits?file=a%00.bin&argv=\(argv)"])
        XCTAssertEqual(upload.status, 400, upload.body)
        XCTAssertTrue(upload.body.contains("control character"), upload.body)
        let refused = try eventLines().filter { $0.hasPrefix("officer:EO-1|") && $0.contains("|refused|") }
        XCTAssertEqual(refused.count, bodies.count + 1, "\(refused)")
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM exhibits"), ["0"])
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM cases"), ["0"])
    }

    /// The second guard: a command run with `CUSTODY_API_FILES` set (as the API runs it) refuses `--as`
    /// and `--data`, and has no `--server`, so the officer and data directory are the server's.
    func testTheAPIsChildRefusesAsDataAndServerItself() throws {
        try register("EO-1", .officer)
        let env = ["CUSTODY_DATA": data, "CUSTODY_ACTOR": "EO-1", "CUSTODY_API_FILES": "{}"]
        for extra in [["--as", "PC-1"], ["--as=PC-1"], ["--data", dir.file("elsewhere")], ["--server", url]] {
            let r = try runProcess(TestPaths.custodyBinary, ["officer", "role", "EO-1", "supervisor"] + extra,
                                   environment: env)
            XCTAssertEqual(r.status, 2, "\(extra): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("cannot be given over the network") || r.stderr.contains("unknown option"),
                          r.stderr)
        }
        XCTAssertEqual(try sqliteLines("SELECT role FROM officers WHERE id = 'EO-1'"), ["officer"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("elsewhere")))
        let refusals = try eventLines().filter { $0.contains("|refused|") }
        XCTAssertEqual(refusals.count, 4, "\(refusals)")
        XCTAssertTrue(refusals.allSatisfy { $0.hasPrefix("officer:EO-1|officer|refused|") }, "\(refusals)")
    }
}
