import Foundation
import XCTest

/// moto's S3 server (PyPI `moto[server]`, installed by Scripts/setup) on loopback, started by
/// `Scripts/lib/moto_s3.py` with signatures checked (every request after its set-up must be signed with the
/// printed key), and stopped when this object goes (its standard input closes). Two buckets: `plain`, and
/// `locked` (Object Lock, hence versioned). One per test class; each test takes its own prefix.
public final class MotoServer: S3Endpoint, @unchecked Sendable {
    public struct Started: Decodable, Sendable {
        public let port: Int
        public let accessKeyID: String
        public let secretAccessKey: String
        public let buckets: [String: String]
    }

    let process = Process()
    private let input = Pipe()
    public let started: Started

    public init(port: Int? = nil) throws {
        process.executableURL = URL(fileURLWithPath: TestPaths.python)
        process.arguments = [TestPaths.root.appendingPathComponent("Scripts/lib/moto_s3.py").path]
            + (port.map { ["--port", String($0)] } ?? [])
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

    deinit { stop() }

    /// Stops the server (it exits when its standard input closes) and waits for it. A new server on its port
    /// (`init(port:)`) has new keys and empty buckets.
    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    public var host: String { "127.0.0.1" }
    public var port: Int { started.port }
    public var accessKeyID: String { started.accessKeyID }
    public var secretAccessKey: String { started.secretAccessKey }
    public func bucketName(_ name: String) -> String { started.buckets[name]! }
}
