import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import XCTest

/// A vault on moto's S3 (signatures checked), driven through the `custody` binary: one moto server for every such
/// class, a prefix per test in its `plain` and `locked` buckets.
class S3CLITestCase: CLITestCase {
    nonisolated(unsafe) static var moto: MotoServer?
    var moto: MotoServer { Self.moto! }
    var prefix = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: TestPaths.custodyBinary) else {
            throw XCTSkip("build the custody binary first (swift build)")
        }
        if S3CLITestCase.moto == nil { S3CLITestCase.moto = try MotoServer() }
        dir = TemporaryDirectory("custody-s3-cli")
        prefix = "vault-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// `custody init --store URL` with the key pair in the environment (as an operator would run it).
    func initialize(_ store: String, environment: [String: String]? = nil) throws -> ProcessResult {
        var env = environment ?? moto.environment
        env["CUSTODY_DATA"] = data
        env["CUSTODY_ACTOR"] = Self.supervisor
        return try runProcess(TestPaths.custodyBinary, ["init", "--org", "testforce", "--store", store, "--json"],
                              environment: env)
    }

    /// The chunk store a test looks into directly (not through custody).
    func bucket(_ name: String) throws -> S3ChunkStore {
        let location = S3Location(bucket: moto.started.buckets[name]!, prefix: prefix, host: "127.0.0.1",
                                  port: moto.started.port)
        let credentials = S3Credentials(accessKeyID: moto.started.accessKeyID,
                                        secretAccessKey: moto.started.secretAccessKey)
        return try S3ChunkStore.open(S3Client(location: location, credentials: credentials), lock: nil)
    }

    func allNames(_ store: ChunkStore) throws -> [SHA256Digest] { try store.list(after: nil, limit: 1000) }
}
