import CustodyCore
import Crypto

/// Hashes an upload as its bytes arrive: the whole recording (its exhibit identity) and each
/// chunk-sized piece (the name the piece will have in the chunk store), both in one pass where the
/// CPU allows (`SHA256Pair`). Nothing is buffered, so memory does not grow with the upload. Bytes
/// must be fed in order, once; one request at a time.
public final class UploadHasher {
    public let pieceSize: Int
    /// Bytes fed so far.
    public private(set) var received: Int64 = 0
    /// Digests and sizes of the pieces completed so far.
    public private(set) var pieces: [(digest: SHA256Digest, size: Int)] = []
    private let hashes: SHA256Pair
    private var pieceFill = 0

    public init(pieceSize: Int = ChunkSize.standard) {
        precondition(pieceSize > 0)
        self.pieceSize = pieceSize
        // Both hashes share a pass only when pieces are whole SHA-256 blocks.
        // Concurrent uploads share one compressor, which hashes two of them at once.
        hashes = SHA256Pair(accelerated: SHA256Pair.isAccelerated && pieceSize % 64 == 0, compressor: .shared)
    }

    public func feed(_ bytes: UnsafeRawBufferPointer) {
        received += Int64(bytes.count)
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, pieceSize - pieceFill)
            hashes.update(UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            pieceFill += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if pieceFill == pieceSize {
                pieces.append((hashes.finishPart(), pieceSize))
                pieceFill = 0
            }
        }
    }

    /// The whole recording's SHA-256 and every piece, the last (short) one included. Call once.
    func finish() -> (sha256: SHA256Digest, pieces: [(digest: SHA256Digest, size: Int)]) {
        if pieceFill > 0 {
            pieces.append((hashes.finishPart(), pieceFill))
            pieceFill = 0
        }
        return (hashes.finishWhole(), pieces)
    }
}
