import CustodyCore
import Crypto
import Foundation
import Ledger
import Media
import POSIX
import TestSupport
import XCTest
@testable import Uploads
@testable import Vault

final class UploadStoreTests: XCTestCase {
    var dir: TemporaryDirectory!
    var vault: Vault!
    var store: UploadStore!
    /// 9.5 MiB: two full 4 MiB pieces and a short one.
    let bytes: [UInt8] = {
        var state: UInt64 = 0x2545F4914F6CDD1D
        return (0..<(19 << 19)).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }()

    override func setUpWithError() throws {
        dir = TemporaryDirectory()
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        store = try UploadStore(vault: vault)
    }

    override func tearDown() {
        store = nil
        vault = nil
        dir?.remove()
    }

    /// A body reader over `slice`, in reads of at most `step` bytes.
    func reader(_ slice: ArraySlice<UInt8>, step: Int = 300_000) -> (UnsafeMutableRawBufferPointer) throws -> Int {
        var at = slice.startIndex
        return { buffer in
            let n = min(buffer.count, step, slice.endIndex - at)
            slice[at..<(at + n)].withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            at += n
            return n
        }
    }

    func testPiecesCrossBoundariesAndBecomeChunksWithoutCopies() throws {
        var upload = try store.create(owner: "dock", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        for range in [0..<3_000_000, 3_000_000..<8_388_609, 8_388_609..<bytes.count] {
            upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher, read: reader(bytes[range]))
            XCTAssertEqual(upload.offset, Int64(range.upperBound))
            XCTAssertEqual(try store.rebuildHasher(upload).pieces.map(\.digest), hasher.pieces.map(\.digest))
        }
        let pieces = try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id)).sorted()
        XCTAssertEqual(pieces, ["p000000", "p000001", "p000002"])
        let done = try store.complete(upload, hasher: hasher)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.dataPath(upload.id)), "pieces moved, not copied")
        let exhibit = try vault.catalog.find(try XCTUnwrap(done.exhibit))
        XCTAssertEqual(exhibit.sha256, SHA256.hash(bytes))
        let chunks = try vault.catalog.chunks(of: exhibit)
        XCTAssertEqual(chunks.map(\.size), [4 << 20, 4 << 20, bytes.count - (8 << 20)])
        XCTAssertEqual(chunks[1].digest, SHA256.hash(Array(bytes[(4 << 20)..<(8 << 20)])))
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)
    }

    func testTheRecordingIsProbedFromItsPiecesAsFromTheFile() throws {
        // 3 s of 320x240 raw grey in QuickTime with the index at the end: two pieces, the index in
        // the second, so the probe reads both.
        let file = dir.file("rec.mov")
        let made = try runProcess(try XCTUnwrap(which("ffmpeg")), [
            "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=3",
            "-c:v", "rawvideo", "-pix_fmt", "gray", "-f", "mov", file,
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        let recording = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        XCTAssertGreaterThan(recording.count, UploadStore.pieceSize)
        var upload = try store.create(owner: "dock", length: Int64(recording.count), metadata: UploadMetadata(), ttl: 60)
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher, read: reader(recording[...]))
        let done = try store.complete(upload, hasher: hasher)
        let exhibit = try vault.catalog.find(try XCTUnwrap(done.exhibit))
        guard case .readable(let expected) = MediaProbe.probe(path: file) else { return XCTFail("\(file) does not probe") }
        XCTAssertEqual(exhibit.status, .ok)
        XCTAssertEqual(exhibit.media, expected)
        XCTAssertEqual(exhibit.media?.video?.width, 320)
        XCTAssertEqual(exhibit.media?.durationSeconds ?? 0, 3, accuracy: 0.1)
    }

    func testABodyCutOffKeepsEveryByteThatArrived() throws {
        var upload = try store.create(owner: "dock", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
        // The link drops 5,000,123 bytes in: inside piece 1, which this request was filling from its
        // first byte (staged for a direct write), and in the middle of a read.
        let cut = 5_000_123
        let arrive = reader(bytes[0..<cut])
        let dropping: (UnsafeMutableRawBufferPointer) throws -> Int = { buffer in
            let n = try arrive(buffer)
            if n == 0 { throw POSIXError(.ECONNRESET) }
            return n
        }
        XCTAssertThrowsError(try store.append(upload, checksum: nil, ttl: 60, hasher: UploadHasher(), read: dropping)) {
            XCTAssertEqual(($0 as? POSIXError)?.code, .ECONNRESET)
        }
        upload = try XCTUnwrap(try store.get(upload.id))
        XCTAssertEqual(upload.offset, Int64(cut), "every byte that arrived is kept and durable")
        XCTAssertEqual(try FS.fileSize(store.piecePath(upload.id, 1)), Int64(cut - (4 << 20)))
        let hasher = try store.rebuildHasher(upload)
        upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher, read: reader(bytes[cut...]))
        let done = try store.complete(upload, hasher: hasher)
        XCTAssertEqual(try vault.catalog.find(try XCTUnwrap(done.exhibit)).sha256, SHA256.hash(bytes))
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)
    }

    func testABodyCutOffAfterItsLastByteCompletesTheUpload() throws {
        let upload = try store.create(owner: "dock", length: 5000, metadata: UploadMetadata(), ttl: 60)
        let arrive = reader(bytes[0..<5000])
        let updated = try store.append(upload, checksum: nil, ttl: 60, hasher: UploadHasher()) { buffer in
            let n = try arrive(buffer)
            if n == 0 { throw POSIXError(.ECONNRESET) }  // no end of body after the last byte
            return n
        }
        XCTAssertTrue(updated.isFinished, "nothing is left to send, so nothing waits for a retry")
        XCTAssertEqual(try store.get(upload.id)?.offset, 5000)
    }

    func testACompletionThatReadsThePiecesAgainStopsWhenAskedAndChangesNothing() throws {
        let upload = try store.append(
            try store.create(owner: "dock", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60),
            checksum: nil, ttl: 60, hasher: UploadHasher(), read: reader(bytes[...]))
        var asked = 0
        XCTAssertThrowsError(try store.complete(upload) { asked += 1; return asked == 2 }) {
            XCTAssertTrue($0 is CancellationError, "\($0)")
        }
        XCTAssertEqual(asked, 2, "asked before each piece, and stopped at the second")
        XCTAssertEqual(try store.get(upload.id)?.state, .active)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id)).count, 3)
        XCTAssertEqual(try vault.catalog.find(try XCTUnwrap(store.complete(upload).exhibit)).sha256,
                       SHA256.hash(bytes))
    }

    func testAPieceThatCannotBeWrittenFailsTheRequestAndKeepsNothing() throws {
        // A folder where a piece should go makes its write fail (EISDIR). Piece 0's write runs in the
        // background and fails while piece 1 arrives; piece 1's fails as the body ends.
        for blocked in [0, 1] {
            var upload = try store.create(owner: "dock", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
            let obstacle = store.piecePath(upload.id, blocked)
            try FileManager.default.createDirectory(atPath: obstacle, withIntermediateDirectories: false)
            XCTAssertThrowsError(try store.append(upload, checksum: nil, ttl: 60, hasher: UploadHasher(),
                                                  read: reader(bytes[...]))) {
                XCTAssertEqual(($0 as? SystemError)?.errno, EISDIR, "piece \(blocked): \($0)")
            }
            XCTAssertEqual(try store.get(upload.id)?.offset, 0, "piece \(blocked): the offset did not move")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id)),
                           [(obstacle as NSString).lastPathComponent], "piece \(blocked): no piece was kept")
            // Once the folder is gone, the dock sends the recording again from the start.
            try FileManager.default.removeItem(atPath: obstacle)
            let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
            upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher, read: reader(bytes[...]))
            let done = try store.complete(upload, hasher: hasher)
            XCTAssertEqual(try vault.catalog.find(try XCTUnwrap(done.exhibit)).sha256, SHA256.hash(bytes))
        }
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)
    }

    func testARefusedRequestWaitsForThePieceStillBeingWrittenBeforeRemovingIt() throws {
        let held = DispatchQueue(label: "held-piece-writes")
        store.pieceWriteQueue = held
        let wrong = UploadChecksum(algorithm: .sha256, expected: SHA256.hash([1]).bytes)
        // Each body fills piece 0 (its write is held) and is then refused: a checksum mismatch, and
        // more bytes than Upload-Length.
        for (length, body, checksum, refusal) in [(bytes.count, 5_000_000, wrong, UploadError.checksumMismatch),
                                                  (5_000_000, 6_000_000, nil, UploadError.tooLong)] {
            let upload = try store.create(owner: "dock", length: Int64(length), metadata: UploadMetadata(), ttl: 60)
            let outcome = Outcome()
            let read = reader(bytes[0..<body])
            let request = Handoff { [store] in
                outcome.error = Result { try store!.append(upload, checksum: checksum, ttl: 60, hasher: UploadHasher(),
                                                           read: read) }.failure
            }
            held.suspend()
            Thread { request.run(); outcome.done.signal() }.start()
            let early = outcome.done.wait(timeout: .now() + 0.5)
            XCTAssertEqual(early, .timedOut, "\(refusal): the request waits for the write")
            held.resume()
            if early == .timedOut { outcome.done.wait() }
            held.sync {}  // every write has run
            XCTAssertEqual(outcome.error as? UploadError, refusal)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id)), [],
                           "\(refusal): the piece written after the refusal was removed too")
            XCTAssertEqual(try store.get(upload.id)?.offset, 0)
        }
    }

    func testWithoutAChecksumTheOffsetMovesMidRequestAndARefusalKeepsWhatWasRecorded() throws {
        // One request of 9.5 MiB for an upload of 9 MiB, pausing past `syncInterval` inside piece 1:
        // as piece 1 fills, pieces 0 and 1 are made durable and recorded; then the body goes past
        // Upload-Length. With a checksum, nothing of the request may be kept.
        for checksum in [nil, UploadChecksum(algorithm: .sha256, expected: SHA256.hash(bytes).bytes)] {
            let upload = try store.create(owner: "dock", length: 9 << 20, metadata: UploadMetadata(), ttl: 60)
            let read = reader(bytes[...])
            var paused = false, at = 0
            let slow: (UnsafeMutableRawBufferPointer) throws -> Int = { buffer in
                if !paused && at >= 6 << 20 {
                    paused = true
                    Thread.sleep(forTimeInterval: PieceWriter.syncInterval + 0.1)
                }
                let n = try read(buffer)
                at += n
                return n
            }
            XCTAssertThrowsError(try store.append(upload, checksum: checksum, ttl: 60, hasher: UploadHasher(),
                                                  read: slow)) { XCTAssertEqual($0 as? UploadError, .tooLong) }
            let kept = checksum == nil ? 8 << 20 : 0
            let stored = try XCTUnwrap(store.get(upload.id))
            XCTAssertEqual(stored.offset, Int64(kept), "checksum: \(checksum != nil)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id)).sorted(),
                           checksum == nil ? ["p000000", "p000001"] : [])
            let rebuilt = try store.rebuildHasher(stored)
            XCTAssertEqual(rebuilt.pieces.map(\.digest), stride(from: 0, to: kept, by: 4 << 20).map {
                SHA256.hash(Array(bytes[$0..<($0 + (4 << 20))]))
            })
        }
    }

    func testAChecksumMismatchAcrossAPieceBoundaryPutsThePiecesBack() throws {
        var upload = try store.create(owner: "dock", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher, read: reader(bytes[0..<4_000_000]))
        let wrong = UploadChecksum(algorithm: .sha256, expected: SHA256.hash([1]).bytes)
        XCTAssertThrowsError(try store.append(upload, checksum: wrong, ttl: 60, hasher: UploadHasher(),
                                              read: reader(bytes[4_000_000..<9_000_000]))) {
            XCTAssertEqual($0 as? UploadError, .checksumMismatch)
        }
        XCTAssertEqual(try store.get(upload.id)?.offset, 4_000_000)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id)), ["p000000"])
        XCTAssertEqual(try FS.fileSize(store.piecePath(upload.id, 0)), 4_000_000)
        // The dock resends the rest; the recording is whole.
        let rest = bytes[4_000_000...]
        let sum = UploadChecksum(algorithm: .sha256, expected: SHA256.hash(Array(rest)).bytes)
        upload = try store.append(upload, checksum: sum, ttl: 60, hasher: hasher, read: reader(rest))
        let done = try store.complete(upload, hasher: hasher)
        XCTAssertEqual(try vault.catalog.find(try XCTUnwrap(done.exhibit)).sha256, SHA256.hash(bytes))
    }

    func testAQuarantineCutShortBeforeItsPiecesMovedIsFinishedAtTheNextStart() throws {
        var upload = try store.create(owner: "dock", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
        upload = try store.append(upload, checksum: nil, ttl: 60, hasher: UploadHasher(), read: reader(bytes[...]))
        // As if the daemon died after recording the quarantine (which comes first) and before the move.
        try vault.db.query("UPDATE uploads SET state = 'quarantined' WHERE id = ?", [.text(upload.id)])
        let restarted = try UploadStore(vault: Vault(directory: vault.directory))
        XCTAssertEqual(try restarted.finishQuarantines(), [upload.id])
        XCTAssertFalse(FS.exists(store.dataPath(upload.id)))
        let kept = try (0..<3).flatMap { try Data(contentsOf: URL(fileURLWithPath: store.quarantine + "/\(upload.id)"
                                                                    + String(format: "/p%06d", $0))) }
        XCTAssertEqual(kept, bytes)
        XCTAssertEqual(try restarted.finishQuarantines(), [], "nothing left to move")
    }

    func testACompletionCutShortAfterMovingSomePiecesFinishesLater() throws {
        var upload = try store.create(owner: "dock", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher, read: reader(bytes[...]))
        // As if the daemon died after listing the pieces and moving the first into the chunk store.
        let (_, pieces) = UploadHasher.finishCopy(of: bytes)
        try vault.db.transaction { try store.recordPieces(upload.id, pieces, from: 0) }
        try vault.store.adopt(store.piecePath(upload.id, 0), as: pieces[0].digest)

        let restarted = try UploadStore(vault: Vault(directory: vault.directory))
        let unfinished = try restarted.unfinishedCompletions()
        XCTAssertEqual(unfinished.map(\.id), [upload.id])
        let done = try restarted.complete(unfinished[0])
        XCTAssertEqual(try vault.catalog.find(try XCTUnwrap(done.exhibit)).sha256, SHA256.hash(bytes))
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)
    }
}

extension UploadHasher {
    /// What a hasher fed `bytes` at once finds.
    static func finishCopy(of bytes: [UInt8]) -> (SHA256Digest, [(digest: SHA256Digest, size: Int)]) {
        let h = UploadHasher(pieceSize: UploadStore.pieceSize)
        bytes.withUnsafeBytes { h.feed($0) }
        return h.finish()
    }
}

/// A closure that holds non-Sendable state, run on one other thread at a time.
final class Handoff: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// What a request on another thread ended with; read after `done`.
final class Outcome: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var error: (any Error)?
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
