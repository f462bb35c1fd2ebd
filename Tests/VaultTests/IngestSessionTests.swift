import CustodyCore
import Crypto
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Vault

final class IngestSessionTests: XCTestCase {
    func testFeedingInPiecesStoresWhatAFileIngestStores() throws {
        let dir = TemporaryDirectory()
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        let path = TestPaths.fixture("bodycam-a.mp4")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))

        // Odd piece sizes across 64 KiB chunk boundaries, the first part rebuilt from the file.
        let session = try IngestSession(directory: vault.directory, chunkSize: 64 << 10)
        try session.feed(file: path, count: 70_001)
        var offset = 70_001
        for size in [1, 65_535, 3, 100_000, 1 << 20] where offset < bytes.count {
            let end = min(bytes.count, offset + size)
            try bytes[offset..<end].withUnsafeBytes { try session.feed($0) }
            offset = end
        }
        XCTAssertEqual(session.received, Int64(bytes.count))
        let streamed = try vault.ingest(received: session, path: path,
                                        source: IngestSource(filename: "a.mp4", device: "D1"), actor: .device("dock"))
        XCTAssertEqual(streamed.exhibit.sha256, SHA256.hash(bytes))
        XCTAssertEqual(streamed.exhibit.status, .ok, "probed from the path")
        XCTAssertNotNil(streamed.exhibit.media?.video)

        let other = try Vault.initialize(DataDirectory(root: dir.file("other")), org: "t", actor: .officer("PC-1")).0
        let fromFile = try other.ingest(path: path, source: IngestSource(filename: "a.mp4", device: "D1"),
                                        actor: .device("dock"), chunkSize: 64 << 10)
        XCTAssertEqual(try vault.catalog.chunks(of: streamed.exhibit).map(\.digest),
                       try other.catalog.chunks(of: fromFile.exhibit).map(\.digest))
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)
    }

    func testAWrongAnnouncedHashStoresNoExhibit() throws {
        let dir = TemporaryDirectory()
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        let path = TestPaths.fixture("bodycam-b.mp4")
        let session = try IngestSession(directory: vault.directory)
        try session.feed(file: path, count: Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int))
        XCTAssertThrowsError(try vault.ingest(received: session, path: path, source: IngestSource(filename: nil, device: "D"),
                                              actor: .device("dock"), expectedSHA256: SHA256.hash([1])))
        XCTAssertTrue(try vault.catalog.all().isEmpty)
    }

    func testTwoStoresInOneProcessNeverShareATempName() throws {
        let dir = TemporaryDirectory()
        let a = try FileChunkStore(root: dir.file("chunks")), b = try FileChunkStore(root: dir.file("chunks"))
        for i in 0..<40 {
            let x: [UInt8] = [0, UInt8(i)], y: [UInt8] = [1, UInt8(i)]
            try x.withUnsafeBytes { try a.put(SHA256.hash(x), $0) }
            try y.withUnsafeBytes { try b.put(SHA256.hash(y), $0) }
        }
        try a.sync()
        try b.sync()
        XCTAssertTrue(a.contains(SHA256.hash([0, 39] as [UInt8])))
        XCTAssertTrue(b.contains(SHA256.hash([1, 39] as [UInt8])))
    }
}
