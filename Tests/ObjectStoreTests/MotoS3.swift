import Foundation
import ObjectStore
import TestSupport
import XCTest

/// moto's S3 server (PyPI `moto[server]`, installed by Scripts/setup) on loopback, started by
/// `Scripts/lib/moto_s3.py` with signatures checked, and stopped when this object goes (its standard input
/// closes). One per test class.
final class MotoS3: S3TestServer, @unchecked Sendable {
    struct Started: Decodable {
        let port: Int
        let accessKeyID: String
        let secretAccessKey: String
        let buckets: [String: String]
    }

    let process = Process()
    private let input = Pipe()
    let started: Started

    init() throws {
        process.executableURL = URL(fileURLWithPath: TestPaths.python)
        process.arguments = [TestPaths.root.appendingPathComponent("Scripts/lib/moto_s3.py").path]
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let piece = output.fileHandleForReading.availableData
            guard !piece.isEmpty else { throw XCTSkip("moto_s3.py ended before answering (is moto[server] installed?)") }
            line += piece
        }
        started = try JSONDecoder().decode(Started.self, from: line)
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    var credentials: S3Credentials {
        S3Credentials(accessKeyID: started.accessKeyID, secretAccessKey: started.secretAccessKey)
    }

    func location(_ bucket: String, prefix: String) -> S3Location {
        S3Location(bucket: started.buckets[bucket]!, prefix: prefix, host: "127.0.0.1", port: started.port)
    }
}
