import Foundation
import TestSupport
import XCTest

/// What Python's `zipfile` saw in an archive: `testzip()` (CRC of every entry checked) and each entry.
struct PythonView: Decodable {
    struct Entry: Decodable {
        let name: String
        let data: String
        let flags: Int
        let attributes: Int
        let system: Int
        let date: [Int]
        let extra: String
        var bytes: [UInt8] { Array(Data(base64Encoded: data)!) }
    }
    let testzip: String?
    /// How many entries the archive holds; `entries` may show only the first and last few.
    let count: Int
    let entries: [Entry]
}

/// Runs the third-party readers, unmodified, on an archive: `unzip -t`, Python's `zipfile` and `7z t`.
enum ThirdPartyReaders {
    private static let script = """
        import base64, json, sys, zipfile
        with zipfile.ZipFile(sys.argv[1]) as z:
            bad = z.testzip()
            infos, show = z.infolist(), int(sys.argv[2])
            shown = infos if len(infos) <= 2 * show else infos[:show] + infos[-show:]
            entries = [{"name": i.filename, "data": base64.b64encode(z.read(i)).decode() if i.file_size < 65536 else "",
                        "flags": i.flag_bits, "attributes": i.external_attr, "system": i.create_system,
                        "date": list(i.date_time), "extra": i.extra.hex()} for i in shown]
        json.dump({"testzip": bad, "count": len(infos), "entries": entries}, sys.stdout)
        """

    /// `unzip -t` and `7z t` find no error, and Python's view of the archive (of at most the first and
    /// last `showing` entries).
    static func check(_ path: String, showing: Int = 1000,
                      file: StaticString = #filePath, line: UInt = #line) throws -> PythonView {
        let unzip = try runProcess(try XCTUnwrap(which("unzip"), "unzip is not installed"), ["-t", path])
        XCTAssertEqual(unzip.status, 0, "unzip -t: \(unzip.stdout.suffix(2000)) \(unzip.stderr)",
                       file: file, line: line)
        XCTAssertTrue(unzip.stdout.contains("No errors detected"), unzip.stdout.suffix(2000).description,
                      file: file, line: line)
        try check7z(path, file: file, line: line)
        return try python(path, showing: showing, file: file, line: line)
    }

    static func check7z(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let sevenZip = try runProcess(try XCTUnwrap(which("7z"), "7z is not installed (p7zip-full)"), ["t", path])
        let said = sevenZip.stdout + sevenZip.stderr
        XCTAssertEqual(sevenZip.status, 0, "7z t: \(said.suffix(2000))", file: file, line: line)
        XCTAssertTrue(said.contains("Everything is Ok"), said.suffix(2000).description, file: file, line: line)
        XCTAssertFalse(said.contains("Warning") || said.contains("WARNING") || said.contains("Error"),
                       said.suffix(2000).description, file: file, line: line)
    }

    static func python(_ path: String, showing: Int = 1000,
                       file: StaticString = #filePath, line: UInt = #line) throws -> PythonView {
        let r = try runProcess(TestPaths.python, ["-c", script, path, String(showing)])
        XCTAssertEqual(r.status, 0, "python zipfile: \(r.stderr)", file: file, line: line)
        let view = try JSONDecoder().decode(PythonView.self, from: Data(r.stdout.utf8))
        XCTAssertNil(view.testzip, "zipfile.testzip found a bad entry", file: file, line: line)
        return view
    }
}
