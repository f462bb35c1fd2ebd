import CustodyCore
import Foundation
import TestSupport
import XCTest

/// What a server (a hostile one, or anything answering in its place) says a command printed cannot
/// drive the officer's terminal: `custody --server` escapes control and bidirectional formatting
/// characters, keeping newlines and tabs; with `--json`, JSON stays JSON of the same value.
final class RemoteOutputCLITests: XCTestCase {
    /// A server on loopback (Python's http.server) answering every command with such output.
    static let hostileServer = #"""
        import http.server, json
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                argv = json.loads(self.rfile.read(int(self.headers['Content-Length'])))['argv']
                if '--json' in argv:
                    out = json.dumps([{'id': 'EX-1', 'filename': '\u202egnp.exe\x1b[2J\x7f\x9b'}], ensure_ascii=False)
                else:
                    out = 'EX-1\tclean\n\x1b[2Jwiped\r\u202eevil\x9b\n'
                body = json.dumps({'exit': 0, 'stdout': out + '\n', 'stderr': 'note \x1b]0;title\x07\n'}).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args): pass
        server = http.server.HTTPServer(('127.0.0.1', 0), H)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    func testServerOutputCannotDriveTheTerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: TestPaths.custodyBinary) else {
            throw XCTSkip("build the custody binary first (swift build)")
        }
        let python = try XCTUnwrap(which("python3"))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: python)
        server.arguments = ["-c", Self.hostileServer]
        let pipe = Pipe()
        server.standardOutput = pipe
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let more = pipe.fileHandleForReading.availableData
            guard !more.isEmpty else { break }
            first += more
        }
        let port = try XCTUnwrap(Int(String(decoding: first, as: UTF8.self).trimmingCharacters(in: .whitespaces
            .union(.newlines))))
        let env = ["CUSTODY_SERVER": "http://127.0.0.1:\(port)", "CUSTODY_TOKEN": "cot_x", "CUSTODY_DATA": "/nonexistent"]

        let text = try runProcess(TestPaths.custodyBinary, ["list"], environment: env)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout, "EX-1\tclean\n\\u{1b}[2Jwiped\\r\\u{202e}evil\\u{9b}\n\n")
        XCTAssertEqual(text.stderr, "note \\u{1b}]0;title\\u{7}\n")

        let json = try runProcess(TestPaths.custodyBinary, ["list", "--json"], environment: env)
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertFalse(json.stdout.unicodeScalars.contains { $0.altersDisplay && $0 != "\n" }, json.stdout)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]])
        XCTAssertEqual(rows, [["id": "EX-1", "filename": "\u{202e}gnp.exe\u{1b}[2J\u{7f}\u{9b}"]],
                       "the same value as the server sent")
    }
}
