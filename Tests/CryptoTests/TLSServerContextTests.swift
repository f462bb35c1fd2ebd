import Crypto
import Foundation
import TestSupport
import XCTest

/// Loading a certificate and key: what works, and that each refusal names the file and the fix.
final class TLSServerContextTests: XCTestCase {
    func testLoadsAMatchingCertificateAndKey() throws {
        let tls = try TLSFixture()
        let context = try TLSServerContext(certificateChainFile: tls.certificate, privateKeyFile: tls.key)
        XCTAssertEqual(context.certificateFile, tls.certificate)
    }

    func testAKeyOfAnotherCertificateIsAMismatch() throws {
        let tls = try TLSFixture()
        let other = try tls.makeUnrelatedKey()
        XCTAssertThrowsError(try TLSServerContext(certificateChainFile: tls.certificate, privateKeyFile: other)) {
            guard case TLSError.keyMismatch = $0 else { return XCTFail("not a mismatch: \($0)") }
            let text = String(describing: $0)
            XCTAssertTrue(text.contains("does not match the certificate"), text)
            XCTAssertTrue(text.contains(other) && text.contains(tls.certificate), text)
        }
    }

    func testAKeyReadableByOthersIsRefused() throws {
        let tls = try TLSFixture()
        for mode in [0o644, 0o640, 0o604] {
            try tls.setMode(mode, tls.key)
            XCTAssertThrowsError(try TLSServerContext(certificateChainFile: tls.certificate, privateKeyFile: tls.key)) {
                guard case TLSError.keyFileTooOpen(_, let found) = $0 else { return XCTFail("\($0)") }
                XCTAssertEqual(Int(found), mode)
                XCTAssertTrue(String(describing: $0).contains("chmod 600 \(tls.key)"), "\($0)")
            }
        }
        try tls.setMode(0o400, tls.key)
        XCTAssertNoThrow(try TLSServerContext(certificateChainFile: tls.certificate, privateKeyFile: tls.key))
    }

    func testMissingAndMalformedFilesAreNamed() throws {
        let tls = try TLSFixture()
        let missing = tls.directory.file("nope.pem")
        XCTAssertThrowsError(try TLSServerContext(certificateChainFile: missing, privateKeyFile: tls.key)) {
            XCTAssertEqual(String(describing: $0), "cannot read \(missing): No such file or directory")
        }
        XCTAssertThrowsError(try TLSServerContext(certificateChainFile: tls.certificate, privateKeyFile: missing)) {
            guard case TLSError.fileUnreadable(let path, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(path, missing)
        }
        // The certificate and key swapped: neither file holds what it should.
        XCTAssertThrowsError(try TLSServerContext(certificateChainFile: tls.key, privateKeyFile: tls.key)) {
            guard case TLSError.invalidCertificate(let path, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(path, tls.key)
        }
        let notAKey = tls.directory.file("cert-as-key.pem")
        try FileManager.default.copyItem(atPath: tls.certificate, toPath: notAKey)
        try tls.setMode(0o600, notAKey)
        XCTAssertThrowsError(try TLSServerContext(certificateChainFile: tls.certificate, privateKeyFile: notAKey)) {
            guard case TLSError.invalidPrivateKey(let path, let error) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(path, notAKey)
            XCTAssertFalse(error.details.isEmpty, "OpenSSL's reason is kept")
        }
    }
}
