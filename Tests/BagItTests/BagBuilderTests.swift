import CustodyCore
import Foundation
import XCTest
@testable import BagIt
import TestSupport

/// What the builder writes, byte for byte, into a sink that records it (no files, no validator).
final class BagBuilderTests: XCTestCase {
    static let emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let abcSHA = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    private func build(_ sink: RecordingSink) throws -> [UInt8] {
        let builder = try BagBuilder(name: "b", sink: sink)
        try builder.addPayload(path: "data/z.txt", bytes: Array("abc".utf8))
        try builder.addTag(path: "custody/empty", bytes: [])
        try builder.addPayload(path: "data/a.txt", bytes: [])
        return try builder.finish(bagInfo: [BagInfoField("Source-Organization", "Force"),
                                            BagInfoField("Contact-Name", "A. Clerk")])
    }

    /// The files in the order promised (bagit.txt first, the caller's in its order, then bag-info,
    /// manifest, tag manifest), each with the exact bytes README.md describes.
    func testWritesTheDocumentedFilesInTheDocumentedOrder() throws {
        let sink = RecordingSink()
        let returned = try build(sink)
        XCTAssertEqual(sink.files.map(\.path), ["b/bagit.txt", "b/data/z.txt", "b/custody/empty", "b/data/a.txt",
                                                "b/bag-info.txt", "b/manifest-sha256.txt",
                                                "b/tagmanifest-sha256.txt"])
        XCTAssertEqual(text(sink, "b/bagit.txt"), "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        XCTAssertEqual(text(sink, "b/bag-info.txt"),
                       "Source-Organization: Force\nContact-Name: A. Clerk\nPayload-Oxum: 3.2\nBag-Size: 3 B\n")
        XCTAssertEqual(text(sink, "b/manifest-sha256.txt"),
                       "\(Self.emptySHA)  data/a.txt\n\(Self.abcSHA)  data/z.txt\n")
        let tagManifest = text(sink, "b/tagmanifest-sha256.txt")
        XCTAssertEqual(Array(tagManifest.utf8), returned)
        let listed = tagManifest.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        XCTAssertEqual(listed, ["bag-info.txt", "bagit.txt", "custody/empty", "manifest-sha256.txt"])
        XCTAssertTrue(tagManifest.contains("\(Self.emptySHA)  custody/empty\n"))
    }

    /// Same calls, same bytes: nothing varying (no date, no hash-table order) gets into the bag.
    func testSameCallsGiveIdenticalBytes() throws {
        let first = RecordingSink(), second = RecordingSink()
        _ = try build(first)
        _ = try build(second)
        XCTAssertEqual(first.files.map(\.path), second.files.map(\.path))
        XCTAssertEqual(first.files.map(\.bytes), second.files.map(\.bytes))
    }

    /// A payload with the caller's SHA-256 (a clip the vault checks as it reads): listed as given,
    /// counted in the Payload-Oxum, its size still checked, and its path checked as any other.
    func testAPayloadWithTheCallersDigestIsListedAsGivenAndSizeChecked() throws {
        let sink = RecordingSink()
        let builder = try BagBuilder(name: "b", sink: sink)
        let abc = try XCTUnwrap(SHA256Digest(hex: Self.abcSHA))
        try builder.addPayload(path: "data/clip", size: 3, sha256: abc) { write in
            try Array("abc".utf8).withUnsafeBytes(write)
        }
        XCTAssertThrowsError(try builder.addPayload(path: "clip", size: 0, sha256: abc) { _ in }) {
            guard case BagError.misplacedPath = $0 else { return XCTFail("\($0)") }
        }
        _ = try builder.finish(bagInfo: [])
        XCTAssertEqual(sink.file("b/data/clip"), Array("abc".utf8))
        XCTAssertEqual(text(sink, "b/manifest-sha256.txt"), "\(Self.abcSHA)  data/clip\n")
        XCTAssertTrue(text(sink, "b/bag-info.txt").contains("Payload-Oxum: 3.1\n"))

        let short = try BagBuilder(name: "b", sink: RecordingSink())
        XCTAssertThrowsError(try short.addPayload(path: "data/clip", size: 4, sha256: abc) { write in
            try Array("abc".utf8).withUnsafeBytes(write)
        }) { XCTAssertEqual($0 as? BagError, .sizeMismatch(path: "data/clip", announced: 4, written: 3)) }
    }

    /// The signature goes after the tag manifest and is not listed in it; only once, only after finish.
    func testSignatureComesAfterTheTagManifestAndIsNotListed() throws {
        let sink = RecordingSink()
        let builder = try BagBuilder(name: "b", sink: sink)
        XCTAssertThrowsError(try builder.addSignature(path: "custody/signature", bytes: [1]))
        let tagManifest = try builder.finish(bagInfo: [])
        try builder.addSignature(path: "custody/signature", bytes: [1, 2, 3])
        XCTAssertEqual(sink.files.last?.path, "b/custody/signature")
        XCTAssertEqual(sink.file("b/custody/signature"), [1, 2, 3])
        XCTAssertFalse(String(decoding: tagManifest, as: UTF8.self).contains("signature"))
        XCTAssertThrowsError(try builder.addSignature(path: "custody/signature2", bytes: [1]))
        XCTAssertThrowsError(try builder.addTag(path: "custody/late", bytes: [1]))
    }

    /// A file copied from disk in several buffers (3 MiB + 5 bytes) is hashed whole, in the same pass.
    func testFileLargerThanTheBufferIsStreamedAndHashedWhole() throws {
        let temp = TemporaryDirectory("bagit-source")
        defer { temp.remove() }
        var rng = SplitMix64(state: 7)
        let content = rng.bytes(3 << 20 + 5)
        try Data(content).write(to: temp.url.appendingPathComponent("clip"))
        let sink = RecordingSink()
        let builder = try BagBuilder(name: "b", sink: sink)
        try builder.addPayload(path: "data/clip.mp4", fromFile: temp.file("clip"))
        try builder.finish(bagInfo: [])
        XCTAssertEqual(sink.file("b/data/clip.mp4"), content)
        let expected = try runProcess("/usr/bin/sha256sum", [temp.file("clip")]).stdout.prefix(64)
        XCTAssertEqual(text(sink, "b/manifest-sha256.txt"), "\(expected)  data/clip.mp4\n")
        XCTAssertTrue(text(sink, "b/bag-info.txt").contains("Payload-Oxum: 3145733.1\nBag-Size: 3.1 MB\n"))
    }

    /// More or fewer bytes than announced are refused naming the path, and the bag cannot go on.
    func testWrongByteCountIsRefusedAndTheBagCannotContinue() throws {
        for (announced, given) in [(UInt64(2), [UInt8]([1, 2, 3])), (UInt64(4), [1, 2, 3])] {
            let builder = try BagBuilder(name: "b", sink: RecordingSink())
            XCTAssertThrowsError(try builder.addPayload(path: "data/x", size: announced) { write in
                try given.withUnsafeBytes(write)
            }) { error in
                guard case let BagError.sizeMismatch(path, a, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "data/x")
                XCTAssertEqual(a, announced)
            }
            XCTAssertThrowsError(try builder.finish(bagInfo: [])) { error in
                XCTAssertTrue("\(error)".contains("earlier file failed"), "\(error)")
            }
        }
    }

    func testManifestPathsArePercentEncodedAsRFC8493Requires() throws {
        let sink = RecordingSink()
        let builder = try BagBuilder(name: "b", sink: sink)
        try builder.addPayload(path: "data/100% a\r\nb%0A.txt", bytes: [])
        try builder.finish(bagInfo: [])
        XCTAssertNotNil(sink.file("b/data/100% a\r\nb%0A.txt"), "the file itself keeps its name")
        XCTAssertEqual(text(sink, "b/manifest-sha256.txt"), "\(Self.emptySHA)  data/100%25 a%0D%0Ab%250A.txt\n")
    }

    func testBagSizeIsInDecimalUnitsWithOneDecimal() {
        let cases: [(UInt64, String)] = [
            (0, "0 B"), (999, "999 B"), (1000, "1.0 KB"), (1049, "1.0 KB"), (1050, "1.1 KB"),
            (999_949, "999.9 KB"), (999_950, "1.0 MB"), (2_300_000_000, "2.3 GB"), (42_600_000_000, "42.6 GB"),
            (5_000_000_000_000_000, "5000.0 TB"),
        ]
        for (octets, expected) in cases { XCTAssertEqual(BagInfo.bagSize(octets), expected, "\(octets)") }
    }

    private func text(_ sink: RecordingSink, _ path: String) -> String {
        String(decoding: sink.file(path) ?? [], as: UTF8.self)
    }

    /// A folder sink never writes over what is there: a second bag of the same name in the same folder
    /// is refused at its first file.
    func testFolderSinkRefusesToOverwrite() throws {
        let temp = TemporaryDirectory("bagit-folder")
        defer { temp.remove() }
        let builder = try BagBuilder(name: "b", sink: FolderBagSink(directory: temp.path))
        try builder.finish(bagInfo: [])
        XCTAssertThrowsError(try BagBuilder(name: "b", sink: FolderBagSink(directory: temp.path))) { error in
            XCTAssertTrue("\(error)".contains("b/bagit.txt"), "\(error)")
        }
    }
}
