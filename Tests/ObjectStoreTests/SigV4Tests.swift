import Crypto
import Foundation
import ObjectStore
import XCTest

/// SigV4 against published vectors: AWS's Signature Version 4 test suite (service `service`, 2015-08-30) for the
/// cases whose paths need no encoding (S3 encodes a path once, the generic suite twice), and the four worked
/// examples of S3's own documentation (2013-05-24). Where a vector publishes the intermediate hashes, they are
/// checked too, so a failure names the step.
final class SigV4Tests: XCTestCase {
    // MARK: The generic suite

    let suite = SigV4(credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE",
                                                 secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                      region: "us-east-1", service: "service")
    let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    func suiteRequest(_ method: String = "GET", path: String = "/", query: [(name: String, value: String)] = [],
                      headers: [(name: String, value: String)] = [], body: String = "") -> SigV4Request {
        let hash = Self.sha256Hex(body)
        return SigV4Request(method: method, path: path, query: query,
                            headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")] + headers,
                            payloadHash: hash)
    }

    func assertSuite(_ request: SigV4Request, signedHeaders: String, signature: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        let signed = suite.sign(request, at: suiteDate)
        XCTAssertEqual(signed.authorization,
                       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                       + "SignedHeaders=\(signedHeaders), Signature=\(signature)", file: file, line: line)
    }

    func testGetVanillaWithItsCanonicalRequestAndStringToSign() {
        let signed = suite.sign(suiteRequest(), at: suiteDate)
        XCTAssertEqual(signed.amzDate, "20150830T123600Z")
        XCTAssertEqual(signed.canonicalRequest, """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        XCTAssertEqual(signed.stringToSign, """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        assertSuite(suiteRequest(), signedHeaders: "host;x-amz-date",
                    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    func testUnreservedCharactersAreNotEncoded() {
        let path = SigV4.encodePath("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        assertSuite(suiteRequest(path: path), signedHeaders: "host;x-amz-date",
                    signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")
    }

    func testQueryIsSortedByNameThenValueByteByByte() {
        assertSuite(suiteRequest(query: [("Param2", "value2"), ("Param1", "value1")]),
                    signedHeaders: "host;x-amz-date",
                    signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        assertSuite(suiteRequest(query: [("Param1", "value2"), ("Param1", "value1")]),
                    signedHeaders: "host;x-amz-date",
                    signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694")
    }

    func testAUTF8QueryNameIsPercentEncodedInUpperCaseHex() {
        assertSuite(suiteRequest(query: [("\u{1234}", "bar")]), signedHeaders: "host;x-amz-date",
                    signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04")
    }

    func testRepeatedHeadersKeepTheirOrderAndValuesAreTrimmedAndCollapsed() {
        assertSuite(suiteRequest(headers: [("My-Header1", "value4"), ("My-Header1", "value1"),
                                           ("My-Header1", "value3"), ("My-Header1", "value2")]),
                    signedHeaders: "host;my-header1;x-amz-date",
                    signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01")
        assertSuite(suiteRequest(headers: [("My-Header1", "value2"), ("My-Header1", "value2"),
                                           ("My-Header1", "value1")]),
                    signedHeaders: "host;my-header1;x-amz-date",
                    signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea")
        assertSuite(suiteRequest(headers: [("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")]),
                    signedHeaders: "host;my-header1;my-header2;x-amz-date",
                    signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")
    }

    func testAPostBodyIsSignedThroughItsHash() {
        assertSuite(suiteRequest("POST", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                 body: "Param1=value1"),
                    signedHeaders: "content-type;host;x-amz-date",
                    signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    // MARK: S3's worked examples

    let s3 = SigV4(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                              secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                   region: "us-east-1")
    let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    func s3Request(_ method: String, path: String, query: [(name: String, value: String)] = [],
                   headers: [(name: String, value: String)] = [], payloadHash: String = SigV4.emptyPayloadHash)
        -> SigV4Request {
        SigV4Request(method: method, path: path, query: query,
                     headers: [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", payloadHash),
                               ("x-amz-date", "20130524T000000Z")] + headers,
                     payloadHash: payloadHash)
    }

    func testS3GetObjectWithARange() {
        let signed = s3.sign(s3Request("GET", path: "/test.txt", headers: [("Range", "bytes=0-9")]), at: s3Date)
        XCTAssertTrue(signed.stringToSign.hasSuffix(
            "\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"), signed.canonicalRequest)
        XCTAssertEqual(signed.authorization,
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                       + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    func testS3PutObjectEncodesTheKeyOnce() {
        let hash = Self.sha256Hex("Welcome to Amazon S3.")
        XCTAssertEqual(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        XCTAssertEqual(SigV4.encodePath("test$file.text"), "/test%24file.text")
        let signed = s3.sign(s3Request("PUT", path: SigV4.encodePath("test$file.text"),
                                       headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                                                 ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                                       payloadHash: hash), at: s3Date)
        XCTAssertTrue(signed.stringToSign.hasSuffix(
            "\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"), signed.canonicalRequest)
        XCTAssertEqual(signed.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        XCTAssertTrue(signed.authorization.contains(
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"))
    }

    func testS3SubresourceAndListingQueries() {
        XCTAssertEqual(s3.sign(s3Request("GET", path: "/", query: [("lifecycle", "")]), at: s3Date).signature,
                       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        XCTAssertEqual(s3.sign(s3Request("GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")]),
                               at: s3Date).signature,
                       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    // MARK: What the vectors do not show

    func testAnyChangeToWhatIsSignedChangesTheSignature() {
        let base = s3Request("PUT", path: "/chunks/ab", payloadHash: String(repeating: "a", count: 64))
        let signature = s3.sign(base, at: s3Date).signature
        var otherHash = base
        otherHash.payloadHash = String(repeating: "b", count: 64)
        var otherPath = base
        otherPath.path = "/chunks/ac"
        let otherKey = SigV4(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x"),
                             region: "us-east-1")
        XCTAssertNotEqual(s3.sign(otherHash, at: s3Date).signature, signature)
        XCTAssertNotEqual(s3.sign(otherPath, at: s3Date).signature, signature)
        XCTAssertNotEqual(s3.sign(base, at: s3Date.addingTimeInterval(86_400)).signature, signature)
        XCTAssertNotEqual(otherKey.sign(base, at: s3Date).signature, signature)
        XCTAssertEqual(s3.sign(base, at: s3Date).signature, signature)
    }

    func testTheSecretNeverAppearsInDescriptions() {
        let credentials = S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "s3cr3t-value")
        XCTAssertFalse("\(credentials)".contains("s3cr3t-value"))
        XCTAssertFalse(String(reflecting: credentials).contains("s3cr3t-value"))
        var dumped = ""
        dump(credentials, to: &dumped)
        XCTAssertFalse(dumped.contains("s3cr3t-value"), dumped)
        XCTAssertTrue("\(credentials)".contains("AKIAIOSFODNN7EXAMPLE"))
    }

    static func sha256Hex(_ text: String) -> String { SHA256.hash(Array(text.utf8)).hex }
}
