import Crypto
import CustodyCore
import Foundation
import SQLite
import XCTest
@testable import Ledger

final class TreeStorageTests: XCTestCase {
    func testStoredIndexFollowsAppendOrder() {
        // leaf0, leaf1, node(1,0), leaf2, leaf3, node(1,1), node(2,0), leaf4
        let order: [(Int, UInt64)] = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4)]
        XCTAssertEqual(order.map { TreeStorage.storedIndex(level: $0.0, index: $0.1) }, Array(0..<8))
        XCTAssertEqual((0...8).map { TreeStorage.storedCount(size: UInt64($0)) }, [0, 1, 3, 4, 7, 8, 10, 11, 15])
    }

    func testStoredTreeMatchesTheDefinitionAndProofsVerify() throws {
        let log = try EventLog(db: try makeDatabase())
        var leaves = [[UInt8]]()
        // One batch and then single appends, so both paths build the tree.
        let batch = (0..<70).map { CustodyEvent(actor: .officer("PC-\($0)"), action: .view, exhibit: "EX-\($0)") }
        leaves += try log.append(batch).map(\.leafBytes)
        for i in 0..<30 { leaves.append(try log.append(CustodyEvent(actor: .device("dock-\(i)"), action: .upload)).leafBytes) }
        XCTAssertEqual(try log.count(), 100)
        XCTAssertEqual(try log.db.query("SELECT COUNT(*) FROM ledger_hashes").first?.int(0), TreeStorage.storedCount(size: 100))
        for size in [1, 2, 3, 7, 8, 9, 63, 64, 65, 99, 100] {
            let root = MerkleVectorTests.referenceRoot(leaves.prefix(size))
            XCTAssertEqual(try log.root(size: UInt64(size)), root, "size \(size)")
            for index in Set([0, size / 2, size - 1]) {
                let proof = try log.inclusionProof(index: UInt64(index), size: UInt64(size))
                XCTAssertTrue(Merkle.verifyInclusion(index: UInt64(index), size: UInt64(size),
                                                     leafHash: Merkle.leafHash(leaves[index]).bytes,
                                                     proof: proof.map(\.bytes), root: root.bytes))
            }
            for old in Set([1, size / 3 + 1, size]) where old <= size {
                let proof = try log.consistencyProof(oldSize: UInt64(old), newSize: UInt64(size))
                XCTAssertTrue(Merkle.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size),
                                                       oldRoot: MerkleVectorTests.referenceRoot(leaves.prefix(old)).bytes,
                                                       newRoot: root.bytes, proof: proof.map(\.bytes)))
            }
        }
    }

    func testTreeRowsAreAppendOnly() throws {
        let log = try EventLog(db: try makeDatabase())
        try log.append(CustodyEvent(actor: .officer("PC-1"), action: .view))
        XCTAssertThrowsError(try log.db.execute("UPDATE ledger_hashes SET hash = zeroblob(32)"))
        XCTAssertThrowsError(try log.db.execute("DELETE FROM ledger_hashes"))
    }
}
