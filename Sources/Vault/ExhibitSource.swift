import Catalog
import CustodyCore
import Crypto
import Media
import Storage

/// An exhibit's original bytes (or any chunk list's) read at random offsets straight from the chunk
/// store, for libavformat. Every chunk is checked against its SHA-256 when it is loaded; a damaged or
/// missing chunk throws an integrity error naming the owner and chunk. The two most recent chunks are
/// kept, since a demuxer reads mostly forwards but hops between nearby audio and video samples.
/// Public for remote workers, which read a parent exhibit straight from the shared store
/// (`init(store:chunks:chunkSize:label:owner:)`) with the same checks.
public final class ExhibitSource: MediaSource {
    public let size: Int64
    public let label: String
    private let store: any ChunkStore
    /// Names the chunks' owner in errors ("exhibit EX-000001", "upload <id>").
    private let owner: String
    private let chunkSize: Int
    private let chunks: [(digest: SHA256Digest, size: Int)]
    /// Byte offset of each chunk's first byte.
    private let offsets: [Int64]
    private var cache: [(index: Int, buffer: UnsafeMutableRawBufferPointer, count: Int)] = []
    /// Chunks loaded (and hashed) so far: how much of the exhibit was actually read.
    private(set) var chunksLoaded = 0

    /// The bytes of `chunks` in order, each at most `chunkSize`.
    convenience init(vault: Vault, chunks: [(digest: SHA256Digest, size: Int)], chunkSize: Int, label: String,
                     owner: String) {
        self.init(store: vault.store, chunks: chunks, chunkSize: chunkSize, label: label, owner: owner)
    }

    /// The bytes of `chunks` in `store`, in order, each at most `chunkSize`; each is checked against its
    /// name and size when it is loaded.
    public init(store: any ChunkStore, chunks: [(digest: SHA256Digest, size: Int)], chunkSize: Int, label: String,
                owner: String) {
        self.store = store
        self.chunks = chunks
        self.chunkSize = chunkSize
        self.label = label
        self.owner = owner
        var offsets = [Int64]()
        var total: Int64 = 0
        for c in chunks {
            offsets.append(total)
            total += Int64(c.size)
        }
        self.offsets = offsets
        size = total
    }

    /// The bytes of `exhibit`, once its catalog row and chunk list agree with the ledger.
    convenience init(vault: Vault, exhibit: Exhibit) throws {
        try self.init(vault: vault, anchored: vault.anchored(exhibit))
    }

    /// Only the chunks a reader asks for are loaded, so the whole-file SHA-256 is never computed: the
    /// chunk list must be the one the ledger anchors (`chunks_sha256`), and its sizes add up to the
    /// anchored size.
    convenience init(vault: Vault, anchored: AnchoredExhibit) throws {
        let exhibit = anchored.exhibit
        self.init(vault: vault, chunks: anchored.chunks, chunkSize: exhibit.chunkSize, label: exhibit.id,
                  owner: "exhibit \(exhibit.id)")
        guard size == anchored.size else {
            throw CustodyError.integrity("the chunks of \(exhibit.id) add up to \(size) bytes, not the "
                                         + "\(anchored.size) its \(anchored.creation.action.rawValue) event recorded")
        }
        // Exhibits catalogued before chunk lists were recorded: the list is proved by reading it whole once.
        if anchored.creation.details["chunks_sha256"] == nil { try vault.readVerified(anchored) { _ in } }
    }

    deinit { cache.forEach { $0.buffer.deallocate() } }

    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < size, buffer.count > 0 else { return 0 }
        let index = chunkIndex(containing: offset)
        let chunk = try load(index)
        let start = Int(offset - offsets[index])
        let n = min(buffer.count, chunk.count - start)
        buffer.baseAddress!.copyMemory(from: chunk.buffer.baseAddress! + start, byteCount: n)
        return n
    }

    /// The last chunk whose first byte is at or before `offset`.
    private func chunkIndex(containing offset: Int64) -> Int {
        var lo = 0, hi = offsets.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if offsets[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private func load(_ index: Int) throws -> (buffer: UnsafeMutableRawBufferPointer, count: Int) {
        if let hit = cache.firstIndex(where: { $0.index == index }) {
            let entry = cache.remove(at: hit)
            cache.append(entry)
            return (entry.buffer, entry.count)
        }
        let buffer = cache.count >= 2
            ? cache.removeFirst().buffer
            : UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunkSize, 1), alignment: 4096)
        do {
            let bytes = try Vault.readChunk(chunks[index].digest, size: chunks[index].size, index: index, of: owner,
                                            from: store, into: buffer)
            cache.append((index, buffer, bytes.count))
            chunksLoaded += 1
            return (buffer, bytes.count)
        } catch {
            buffer.deallocate()
            throw error
        }
    }
}
