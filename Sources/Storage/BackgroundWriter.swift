import CustodyCore
import Dispatch
import Foundation

/// Writes buffers on a thread of its own, in the order they are submitted, so that the threads
/// filling and hashing them never wait for the disk: chunks into the store during an ingest, an
/// upload's pieces while the next one arrives. The caller owns a ring of `slots` buffers and must
/// not refill one before its write is done: `reserveSlot` blocks until fewer than `slots` buffers
/// are being filled or written. Once a write fails, later ones are skipped.
public final class BackgroundWriter: @unchecked Sendable {
    private let queue: DispatchQueue
    private let free: DispatchSemaphore
    private let lock = NSLock()
    private var failure: (any Error)?

    public init(slots: Int, queue: DispatchQueue = DispatchQueue(label: "custody.background-writer")) {
        self.queue = queue
        // Created at 0 and raised: libdispatch traps when a semaphore is freed below its initial value.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<slots { free.signal() }
    }

    /// The first write error, if any.
    public var error: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Waits for a free buffer: call once before filling each buffer of the ring.
    public func reserveSlot() { free.wait() }

    /// Hands a filled buffer to `write`, run on the writer's thread; its slot is free again after.
    public func submit(_ bytes: UnsafeRawBufferPointer, _ write: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        let work = Unchecked(value: (bytes, write))
        queue.async { [self] in
            defer { free.signal() }
            guard error == nil else { return }
            do { try work.value.1(work.value.0) } catch {
                lock.lock()
                failure = failure ?? error
                lock.unlock()
            }
        }
    }

    /// Returns once every submitted buffer is written (then the caller may reuse or free them);
    /// throws the first write error.
    public func finish() throws {
        queue.sync {}
        if let error { throw error }
    }
}
