import CustodyCore
import Foundation

/// Copies chunks from one store to another, a page of names at a time and several chunks at once: what
/// `custody store migrate`, `backup` and `restore-backup` share.
///
/// Each chunk is read from the source checked against its name (a damaged one stops the copy, named), on one of
/// `lanes` threads, each with its own buffer, so that the round trips of an object store overlap; the target's
/// `put`s are taken one at a time (a file store has one writer; an S3 store runs its own parallel PUTs). The
/// target is synced after every page, so a copy killed part-way keeps what it synced and a run again finds it.
public struct ChunkCopy {
    /// What a copy has done so far.
    public struct Progress: Sendable, Equatable {
        /// Names listed in the source (`all`), chunks written to the target, and those it held already.
        public var listed = 0
        public var copied = 0
        public var alreadyThere = 0
        /// The bytes of the chunks written.
        public var bytes: Int64 = 0

        public init() {}
    }

    public let source: any ChunkStore
    public let target: any ChunkStore
    /// True: a chunk the target holds is read back and checked against its name, and one that is not intact is
    /// written again (a store being moved to). False: one the target holds counts as there (`exists`).
    public let checkExisting: Bool
    public let lanes: Int

    public init(from source: any ChunkStore, to target: any ChunkStore, checkExisting: Bool, lanes: Int = 8) {
        self.source = source
        self.target = target
        self.checkExisting = checkExisting
        self.lanes = max(1, lanes)
    }

    /// Copies every chunk the source lists that the target lacks. `progress` hears each chunk, one at a time.
    public func all(pageSize: Int = 256, progress: ((Progress) -> Void)? = nil) throws -> Progress {
        var done = Progress()
        var cursor: SHA256Digest?
        while true {
            let page = try source.list(after: cursor, limit: pageSize)
            done.listed += page.count
            try copy(page, &done, progress)
            guard page.count == pageSize, let last = page.last else { return done }
            cursor = last
        }
    }

    /// Copies those of `chunks` the target lacks (each name once), then syncs the target.
    public func chunks(_ chunks: [SHA256Digest], progress: ((Progress) -> Void)? = nil) throws -> Progress {
        var done = Progress()
        var seen = Set<SHA256Digest>()
        try copy(chunks.filter { seen.insert($0).inserted }, &done, progress)
        return done
    }

    /// One page on `lanes` threads; the first failure stops every lane, and what was staged is synced or dropped
    /// so that the target's next writer starts clean.
    private func copy(_ page: [SHA256Digest], _ done: inout Progress, _ progress: ((Progress) -> Void)?) throws {
        guard !page.isEmpty else { return }
        let run = PageRun(copy: self, page: page, done: done, progress: progress.map { Unchecked(value: $0) })
        Lanes.run(min(lanes, page.count)) { _ in run.lane() }
        if let failure = run.failure {
            _ = try? target.sync()
            throw failure
        }
        try target.sync()
        done = run.done
    }

    /// Copies one chunk unless the target holds it (intact, when `checkExisting`); the bytes written, nil when
    /// it was there. A read of the target takes one request where an existence check and a read would take two.
    fileprivate func copyOne(_ digest: SHA256Digest, _ buffer: UnsafeMutableRawBufferPointer, _ putLock: NSLock)
        throws -> Int? {
        if checkExisting {
            do {
                _ = try target.readChecked(digest, into: buffer)
                return nil
            } catch ChunkStoreError.missing, ChunkStoreError.damaged, ChunkStoreError.tooLarge {}  // written below
        } else if try target.exists(digest) {
            return nil
        }
        let bytes = try source.readChecked(digest, into: buffer)
        try putLock.withLock { try target.put(digest, bytes) }
        return bytes.count
    }
}

/// The shared state of one page's lanes: the next name to take, the counts, the first failure.
private final class PageRun: @unchecked Sendable {
    let copy: ChunkCopy
    let page: [SHA256Digest]
    let progress: Unchecked<(ChunkCopy.Progress) -> Void>?
    private let lock = NSLock()
    private let putLock = NSLock()
    private var next = 0
    private(set) var done: ChunkCopy.Progress
    private(set) var failure: Error?

    init(copy: ChunkCopy, page: [SHA256Digest], done: ChunkCopy.Progress,
         progress: Unchecked<(ChunkCopy.Progress) -> Void>?) {
        self.copy = copy
        self.page = page
        self.done = done
        self.progress = progress
    }

    /// Takes names until none is left or a lane failed.
    func lane() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ChunkSize.maximum, alignment: 4096)
        defer { buffer.deallocate() }
        while let index = take() {
            do {
                let written = try copy.copyOne(page[index], buffer, putLock)
                lock.withLock {
                    if let written {
                        done.copied += 1
                        done.bytes += Int64(written)
                    } else {
                        done.alreadyThere += 1
                    }
                    progress?.value(done)
                }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
                return
            }
        }
    }

    private func take() -> Int? {
        lock.withLock {
            guard failure == nil, next < page.count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
