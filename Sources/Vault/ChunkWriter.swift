import CustodyCore
import Dispatch
import Foundation

/// Puts chunks into a store on a thread of its own, in the order they are submitted, so that the
/// hashing threads never wait for the disk. The caller owns a ring of `slots` buffers and must not
/// refill one before its write is done: `reserveSlot` blocks until fewer than `slots` chunks are
/// being hashed or written.
final class ChunkWriter: @unchecked Sendable {
    private let store: any ChunkStore
    private let queue = DispatchQueue(label: "custody.chunk-writer")
    private let free: DispatchSemaphore
    private let lock = NSLock()
    private var failure: (any Error)?

    init(store: any ChunkStore, slots: Int) {
        self.store = store
        // Created at 0 and raised: libdispatch traps when a semaphore is freed below its initial value.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<slots { free.signal() }
    }

    /// The first write error, if any; later chunks are skipped once one failed.
    var error: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Waits for a free buffer: call once before filling each buffer of the ring.
    func reserveSlot() { free.wait() }

    /// Hands a filled buffer to the writer; its slot is free again once the chunk is stored.
    func submit(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) {
        let work = Unchecked(value: bytes)
        queue.async { [self] in
            defer { free.signal() }
            guard error == nil else { return }
            do { try store.put(digest, work.value) } catch {
                lock.lock()
                failure = failure ?? error
                lock.unlock()
            }
        }
    }

    /// Returns once every submitted chunk is stored (then the store may be used from the caller's
    /// thread again); throws the first write error.
    func finish() throws {
        queue.sync {}
        if let error { throw error }
    }
}
