import Catalog
import CustodyCore
import Foundation
import Storage
import TestSupport
import XCTest
@testable import Vault

/// Review of #17: `custody init --store s3://...` may switch a vault that holds no exhibit yet while another
/// process (a running `custody serve`, its pooled vaults) still has the vault open on `chunks/`. That process
/// keeps writing chunks to `chunks/` and catalogues exhibits whose chunks are not in the store the catalog
/// names: after a restart they are missing.
final class StoreSwitchReviewTests: XCTestCase {
    func testAVaultOpenedBeforeTheStoreChangedDoesNotCatalogueIntoTheOldStore() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let directory = DataDirectory(root: dir.file("data"))
        let officer = Actor.officer("PC-4471")
        let stale = try Vault.initialize(directory, org: "test", actor: officer).0
        XCTAssertTrue(stale.store is FileChunkStore)
        // What `init --store` does once its bucket check passed (the check needs a bucket; the switch does not).
        let s3 = try StoreLocation("s3://evidence/cam?endpoint=http://127.0.0.1:9&region=us-east-1")
        _ = try Vault.fixStore(s3, in: directory)
        XCTAssertEqual(try stale.storeLocation(), s3)
        XCTAssertThrowsError(try stale.ingest(path: TestPaths.fixture("bodycam-a.mp4"),
                                              source: IngestSource(filename: "a.mp4", device: "BW2-1"),
                                              actor: officer, chunkSize: 64 << 10),
                             "catalogued an exhibit with its chunks in chunks/ while the catalog names \(s3)")
    }

    /// `--store` refuses `s3://KEY:SECRET@bucket` but takes the key pair in the endpoint's URL, drops it silently,
    /// and quotes the whole text (secret included) when any other part is wrong.
    func testAStoreURLWithAKeyPairInItsEndpointIsRefusedWithoutQuotingIt() {
        let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRET"
        XCTAssertThrowsError(try StoreLocation("s3://evidence/cam?endpoint=http://AKID:\(secret)@127.0.0.1:9&region=us-east-1"),
                             "a key pair in the endpoint is taken, and dropped")
        XCTAssertThrowsError(try StoreLocation("s3://Evidence/cam?endpoint=http://AKID:\(secret)@127.0.0.1:9")) {
            XCTAssertFalse("\($0)".contains(secret), "\($0)")
        }
    }
}
