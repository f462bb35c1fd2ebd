import CustodyCore
import Foundation
import Ledger
import TestSupport
import Uploads
import XCTest
@testable import Service
@testable import Vault

/// A running service on a fresh vault with two registered docks, and helpers to talk tus to it.
class TusTestCase: XCTestCase {
    var dir: TemporaryDirectory!
    var directory: DataDirectory!
    var service: CustodyService!
    var port: UInt16 = 0
    var token1 = "", token2 = ""
    var vault: Vault!
    var url: String { "http://127.0.0.1:\(port)/files/" }

    func configure(_ c: inout ServiceConfiguration) {}
    /// Runs on the fresh vault before the service starts.
    func beforeStart() throws {}
    /// Runs on the service before it starts: sets its test hooks.
    func prepare(_ service: CustodyService) {}
    /// The service's log (warnings and errors, on stderr).
    func makeLog() -> Log { Log(minimum: .warning) }

    override func setUpWithError() throws {
        dir = TemporaryDirectory("custody-tus")
        directory = DataDirectory(root: dir.file("data"))
        vault = try Vault.initialize(directory, org: "test", actor: .officer("PC-1")).0
        token1 = try vault.addDevice("dock-1", by: .officer("PC-1"))
        token2 = try vault.addDevice("dock-2", by: .officer("PC-1"))
        var c = ServiceConfiguration(directory: directory, port: 0, checkpointInterval: 0.2)
        configure(&c)
        try beforeStart()
        service = try CustodyService(configuration: c, log: makeLog())
        prepare(service)
        port = try service.start()
    }

    override func tearDown() {
        service?.shutdown()
        service?.waitUntilStopped()
        service = nil
        vault = nil
        dir?.remove()
    }

    /// `curl -i` with tus and auth headers; returns (status, headers lower-cased, body).
    func curl(_ method: String, _ target: String, token: String?, headers: [String] = [], body: String? = nil,
              tusVersion: String? = "1.0.0") throws -> (status: Int, headers: [String: String], body: String) {
        var args = ["-s", "-i", "--max-time", "20", "-X", method, target.hasPrefix("http") ? target : url + target]
        if method == "HEAD" { args = ["-s", "-I", "--max-time", "20", target.hasPrefix("http") ? target : url + target] }
        if let tusVersion { args += ["-H", "Tus-Resumable: \(tusVersion)"] }
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        for h in headers { args += ["-H", h] }
        if let body { args += ["--data-binary", "@" + body] }
        let r = try runProcess(try XCTUnwrap(which("curl")), args)
        let text = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let (head, rest) = text.range(of: "\n\n").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) }
            ?? (text, "")
        let lines = head.split(separator: "\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields = [String: String]()
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return (status, fields, rest)
    }

    /// Writes `bytes` to a temp file for curl's --data-binary.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func metadata(_ pairs: [String: String]) -> String {
        "Upload-Metadata: " + pairs.sorted { $0.key < $1.key }.map { "\($0.key) \(Data($0.value.utf8).base64EncodedString())" }
            .joined(separator: ",")
    }

    func sha256sum(_ path: String) throws -> String {
        String(try runProcess(try XCTUnwrap(which("sha256sum")), [path]).stdout.prefix(64))
    }

    func events() throws -> [CustodyEvent] { try vault.events.events() }

    let octets = "Content-Type: application/offset+octet-stream"

    /// A raw PATCH's head, for requests curl cannot send (a body cut short, a pause mid-body).
    func patchHead(_ location: String, token: String, offset: Int, extra: String) -> String {
        "PATCH /files/\(location.suffix(32)) HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
            + "Authorization: Bearer \(token)\r\nUpload-Offset: \(offset)\r\n\(octets)\r\n\(extra)\r\n"
    }

    func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while try !condition() {
            guard Date() < deadline else { return XCTFail("timed out waiting: \(what)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// An upload of dock-1's with every byte of `bytes` durably received through the store, but not
    /// ingested: as after an ingest that failed.
    func receivedUpload(_ bytes: [UInt8], store: UploadStore, hasher: UploadHasher = UploadHasher())
        throws -> Upload {
        let upload = try store.create(owner: "dock-1", length: Int64(bytes.count), metadata: UploadMetadata(),
                                      ttl: 60)
        var at = 0
        return try store.append(upload, checksum: nil, ttl: 60, hasher: hasher) { buffer in
            let n = min(buffer.count, bytes.count - at)
            buffer.copyBytes(from: bytes[at..<(at + n)])
            at += n
            return n
        }
    }
}
