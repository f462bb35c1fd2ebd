@preconcurrency import Glibc
import HTTPServer
import TestSupport
import XCTest

/// A value shared between a handler thread and the test, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func mutate<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}

/// Collects request records for assertions.
final class RecordingObserver: HTTPServerObserver {
    let records = Locked<[HTTPRequestRecord]>([])
    let rejections = Locked(0)

    func requestCompleted(_ record: HTTPRequestRecord) { records.mutate { $0.append(record) } }
    func connectionRejected() { rejections.mutate { $0 += 1 } }
}

/// A server on an ephemeral loopback port, stopped when the test ends.
final class LiveServer {
    let server: HTTPServer
    let port: UInt16
    let observer = RecordingObserver()

    init(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
         handler: @escaping HTTPClosureHandler.Closure) throws {
        server = HTTPServer(configuration: configuration, handler: HTTPClosureHandler(handler), observer: observer)
        port = try server.start()
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func stop() {
        server.shutdown(gracePeriod: 0.2)
        XCTAssertTrue(server.waitUntilStopped(timeout: 10), "server did not stop")
    }
}

/// FNV-1a 64: a cheap streaming hash to compare what a handler read with what was sent.
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        value = hash
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h = FNV1a()
        bytes.withUnsafeBytes { h.update($0) }
        return h.value
    }
}

/// Runs curl; fails the test if curl is missing.
func curl(_ arguments: [String]) throws -> ProcessResult {
    let path = try XCTUnwrap(which("curl"), "curl is needed for live HTTP tests")
    return try runProcess(path, ["--silent", "--show-error", "--max-time", "20"] + arguments)
}

/// Deterministic pseudo-random bytes for request bodies.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(state: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        let words = raw.bindMemory(to: UInt64.self)
        for i in words.indices { words[i] = generator.next() }
    }
    return bytes
}

/// A server with one worker held by a `/block` request until `release()`; other paths answer their path.
final class BlockedWorkerServer {
    let live: LiveServer
    /// The client whose `/block` request holds the worker.
    let serving: RawClient
    private let gate = DispatchSemaphore(value: 0)

    /// `configuration` with `maxConnections` set to 1.
    init(_ configuration: HTTPServerConfiguration) throws {
        var configuration = configuration
        configuration.maxConnections = 1
        let gate = gate
        live = try LiveServer(configuration) { request, _, _ in
            if request.path == "/block" { gate.wait() }
            return .text(.ok, request.path)
        }
        serving = try RawClient(port: live.port)
        serving.send("GET /block HTTP/1.1\r\nHost: h\r\n\r\n")
        eventually { self.live.server.statistics.requestsInProgress == 1 }
    }

    func release() { gate.signal() }
}
