import Foundation
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// A bundle is streamed from disk in pieces: downloading a 1 GiB one keeps the server's memory flat.
final class BundleMemoryTests: BundleTestCase {
    func testDownloadingAGibibyteBundleKeepsResidentMemoryFlat() throws {
        let size: Int64 = 1 << 30
        let (id, query) = try builtBundle(sparse: size)  // sparse: no disk used
        let before = try residentBytes()
        let peak = PeakResident()
        let sampler = Thread { peak.sample() }
        sampler.start()
        let r = try fetch(zipURL(id, query), ["-w", "%{size_download}\n"])
        peak.stop()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-length"], String(size))
        let grown = peak.value - before
        print("server resident memory: \(before >> 20) MiB before, peak \(peak.value >> 20) MiB while sending 1 GiB")
        XCTAssertLessThan(grown, 48 << 20, "resident memory grew by \(grown >> 20) MiB while sending 1 GiB")
        try waitUntil("the download is counted") { try vault.bundleRegistry.get(id).downloads == 1 }
        let end = try XCTUnwrap(try linkEvents(after: 0).last)
        XCTAssertEqual(end.details["bytes_sent"], String(size))
    }
}

/// The highest VmRSS seen, sampled every 10 ms until stopped.
private final class PeakResident: @unchecked Sendable {
    private let condition = NSCondition()
    private var peak = 0
    private var stopped = false
    private var running = true

    var value: Int {
        condition.lock()
        defer { condition.unlock() }
        return peak
    }

    func sample() {
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            peak = max(peak, (try? residentBytes()) ?? 0)
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.01))
        }
        running = false
        condition.broadcast()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
