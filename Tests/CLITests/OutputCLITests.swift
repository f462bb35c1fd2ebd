import Foundation
import TestSupport
import XCTest

/// What a person or a script reads: escaped names, aligned columns, JSON errors, the version.
final class OutputCLITests: CLITestCase {
    /// Every line of `text` (stdout or stderr of one run) holds no raw control or bidi character.
    func assertNothingRaw(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let raw = text.unicodeScalars.filter {
            ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) || (0x202A...0x202E).contains($0.value)
                || (0x2066...0x2069).contains($0.value) || [0x200E, 0x200F, 0x061C].contains($0.value)
        }
        XCTAssertTrue(raw.isEmpty, "\(what) prints raw \(raw.map { String($0.value, radix: 16) }):\n\(text)",
                      file: file, line: line)
    }

    func testNamesCannotForgeLinesOrReorderTextInAnyOutput() throws {
        let forged = "clip.mp4  (stored)\nEX-000099  \(String(repeating: "0", count: 64))  forged.mp4"
        let reversed = "clip\u{202E}4pm.exe"
        for name in [forged, reversed] {
            try FileManager.default.copyItem(atPath: TestPaths.fixture("bodycam-a.mp4"), toPath: dir.file(name))
        }
        try FileManager.default.copyItem(atPath: TestPaths.fixture("bodycam-b.mp4"), toPath: dir.file(reversed + "2"))
        let ingest = try custody(["ingest", dir.file(forged), dir.file(reversed + "2"), "--device", "D1"],
                                 actor: "PC-1")
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        XCTAssertEqual(ingest.stdout.split(separator: "\n").count, 2, ingest.stdout)
        XCTAssertTrue(ingest.stdout.contains("(stored)\\nEX-000099"), ingest.stdout)
        XCTAssertTrue(ingest.stdout.contains("clip\\u{202e}4pm.exe2"), ingest.stdout)
        assertNothingRaw(ingest.stdout, "ingest")
        // A duplicate under the reversed name, and a name that cannot be read, quoted in an error.
        let again = try custody(["ingest", dir.file(reversed), dir.file("gone\u{2067}\nEX-1"),
                                 "--device", "BW2-000417"], actor: "PC-1")
        XCTAssertEqual(again.status, 2)
        XCTAssertEqual(again.stdout.split(separator: "\n").count, 1, again.stdout)
        XCTAssertEqual(again.stderr.split(separator: "\n").count, 1, again.stderr)
        assertNothingRaw(again.stdout + again.stderr, "ingest of a duplicate and a missing file")

        let out = dir.file("out\u{202E}vid.mp4")
        let runs = [
            ("export", try custody(["export", "EX-000001", "--out", out, "--reason", "r\u{2066}\n2"], actor: "PC-1")),
            ("list", try custody(["list"])),
            ("show", try custody(["show", "EX-000002"], actor: "PC-1")),
            ("ledger log", try custody(["ledger", "log"])),
        ]
        for (what, r) in runs {
            XCTAssertEqual(r.status, 0, "\(what): \(r.stderr)")
            assertNothingRaw(r.stdout + r.stderr, what)
        }
        XCTAssertTrue(runs[0].1.stdout.contains("out\\u{202e}vid.mp4"), runs[0].1.stdout)
        XCTAssertEqual(runs[1].1.stdout.split(separator: "\n").count, 2, runs[1].1.stdout)
        XCTAssertTrue(runs[2].1.stdout.contains("clip\\u{202e}4pm.exe2"), runs[2].1.stdout)
        let events = try XCTUnwrap(json(try custody(["ledger", "log", "--json"])) as? [[String: Any]])
        XCTAssertEqual(runs[3].1.stdout.split(separator: "\n").count, events.count, runs[3].1.stdout)
    }

    func testListColumnsAlignWhateverTheWidths() throws {
        let long = dir.file("a-much-longer-name-than-the-others.mp4")
        try FileManager.default.copyItem(atPath: TestPaths.fixture("bodycam-b.mp4"), toPath: long)
        let files = [TestPaths.fixture("bodycam-a.mp4"), long, TestPaths.fixture("random.bin"),
                     TestPaths.fixture("truncated.mp4")]
        XCTAssertEqual(try custody(["ingest"] + files + ["--device", "D1"], actor: "PC-1").status, 0)
        let lines = try custody(["list"]).stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        // Where each field starts: after two or more spaces (single spaces are inside a field).
        func starts(_ line: String) -> [Int] {
            let chars = Array(line)
            return chars.indices.filter { i in
                chars[i] != " " && (i == 0 || (i >= 2 && chars[i - 1] == " " && chars[i - 2] == " "))
            }
        }
        let columns = lines.map(starts)
        XCTAssertEqual(columns.map(\.count), [6, 6, 6, 6], lines.joined(separator: "\n"))
        XCTAssertEqual(Set(columns).count, 1, "columns start at \(columns):\n\(lines.joined(separator: "\n"))")
        XCTAssertTrue(lines.allSatisfy { !$0.hasSuffix(" ") })
    }

    /// Every command that takes --json prints `{"error", "exit"}` on stdout when it fails, with the text
    /// on stderr too.
    func testJSONErrorsAreJSONOnStdoutForEveryCommand() throws {
        let commands: [[String]] = [
            ["init", "--org", "other.org"], ["ingest", "/nonexistent", "--device", "D1"], ["list", "extra"],
            ["show", "EX-424242"], ["export", "EX-424242", "--out", dir.file("o"), "--reason", "r"],
            ["redact", "EX-424242", "--spec", dir.file("s"), "--reason", "r"], ["verify"], ["ledger", "log", "EX-9"],
            ["ledger", "checkpoint", "extra"], ["ledger", "proof", "999"], ["ledger", "consistency", dir.file("no")],
            ["ledger", "key", "extra"], ["ledger", "verify", "--checkpoint", dir.file("no")],
            ["device", "add", "unauthenticated"], ["device", "list", "extra"], ["device", "revoke", "nobody"],
            ["case", "create", "CPS/1"], ["case", "add", "CPS/1", "EX-1"], ["case", "list"], ["case", "show", "CPS/1"],
            ["officer", "add", "PC-9", "--name", "N", "--role", "auditor"], ["officer", "list", "extra"],
            ["officer", "disable", "PC-9"], ["officer", "role", "PC-9", "auditor"], ["officer", "token", "PC-9"],
        ]
        for args in commands {
            // No officer for the commands that need one: refused like any other error.
            let r = try custody(args + ["--json"], actor: nil)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            let object = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
                                       "\(args): stdout is not a JSON object: \(r.stdout)")
            let message = try XCTUnwrap(object["error"] as? String, "\(args)")
            XCTAssertEqual(object["exit"] as? Int, Int(r.status), "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        // An option the command does not know, too; without --json stdout stays empty.
        let unknown = try custody(["list", "--bogus", "--json"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(unknown.stdout.utf8)) as? [String: Any])?["exit"]
                       as? Int, 2)
        XCTAssertEqual(try custody(["list", "--bogus"]).stdout, "")
    }

    func testVersionNamesTheLinkedLibrariesAsTheirOwnToolsDo() throws {
        let text = try custody(["--version"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("custody "), text.stdout)
        let object = try XCTUnwrap(json(try custody(["--version", "--json"])) as? [String: Any])
        let libraries = try XCTUnwrap(object["libraries"] as? [String: String])
        let version = try XCTUnwrap(object["custody"] as? String)
        XCTAssertEqual(text.stdout.split(separator: "\n").first.map(String.init), "custody \(version)")
        for (name, version) in libraries {
            XCTAssertTrue(text.stdout.contains(name) && text.stdout.contains(version), "\(name) \(version)")
        }
        // The same libraries the distribution's own tools report.
        let sqlite = try runProcess(try XCTUnwrap(which("sqlite3")), ["--version"]).stdout
        XCTAssertTrue(sqlite.hasPrefix(try XCTUnwrap(libraries["sqlite"]) + " "), sqlite)
        let openssl = try runProcess(try XCTUnwrap(which("openssl")), ["version"]).stdout
        XCTAssertTrue(openssl.hasPrefix(try XCTUnwrap(libraries["openssl"])), "\(openssl) \(libraries)")
        let ffmpeg = try runProcess(try XCTUnwrap(which("ffmpeg")), ["-hide_banner", "-version"]).stdout
        XCTAssertTrue(ffmpeg.hasPrefix("ffmpeg version \(try XCTUnwrap(libraries["ffmpeg"])) "), ffmpeg)
        for name in ["libavcodec", "libavformat", "libavutil"] {
            let parts = try XCTUnwrap(libraries[name]).split(separator: ".").compactMap { Int32($0) }
            XCTAssertEqual(parts.count, 3)
            let shown = String(format: "%@ %2d.%3d.%3d", name.padding(toLength: 14, withPad: " ", startingAt: 0),
                               parts[0], parts[1], parts[2])
            XCTAssertTrue(ffmpeg.contains(shown), "\(shown) not in \(ffmpeg)")
        }
        let ldd = "ldd \"$(command -v ffmpeg)\" | grep -o 'libx264\\.so\\.[0-9]*' | sort -u"
        let x264 = try runProcess("/bin/sh", ["-c", ldd])
        XCTAssertEqual(libraries["x264"], "build " + x264.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "libx264.so.", with: ""))
        XCTAssertEqual(try custody(["--version", "extra"]).status, 2)
    }
}
