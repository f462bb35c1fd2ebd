import Foundation
import XCTest

/// A fresh self-signed P-256 certificate for 127.0.0.1 and its key (mode 0600), made with the openssl CLI.
public final class TLSFixture: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let openssl: String
    public var certificate: String { directory.file("cert.pem") }
    public var key: String { directory.file("key.pem") }

    /// Valid for `days` from now. Skips the test when the openssl CLI is missing.
    public init(days: Int = 2) throws {
        guard let openssl = which("openssl") else { throw XCTSkip("the openssl CLI is needed for TLS tests") }
        self.openssl = openssl
        directory = TemporaryDirectory("custody-tls")
        let made = try runProcess(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "\(days)", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard made.status == 0 else { throw NSError(domain: "openssl req failed: \(made.stderr)", code: 1) }
        try setMode(0o600, key)
    }

    /// Another P-256 key (mode 0600) that belongs to no certificate.
    public func makeUnrelatedKey(named name: String = "other.pem") throws -> String {
        let path = directory.file(name)
        let made = try runProcess(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                                            "-out", path])
        guard made.status == 0 else { throw NSError(domain: "openssl genpkey failed: \(made.stderr)", code: 1) }
        try setMode(0o600, path)
        return path
    }

    public func setMode(_ mode: Int, _ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
