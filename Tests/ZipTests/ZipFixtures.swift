import CustodyCore
import Foundation
import TestSupport
import XCTest
import Zip
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// 2026-12-07 10:30:15 UTC: stored as 10:30:14 (DOS time counts 2 seconds).
let bundleDate = Date(timeIntervalSince1970: 1_796_639_415)
let bundleDateFields = [2026, 12, 7, 10, 30, 14]

/// Bytes anyone can regenerate from the seed.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// Writes an archive to `path` with `body` and finishes it; returns its length.
@discardableResult
func writeZip(_ path: String, options: ZipWriter.Options = .init(),
              _ body: (ZipWriter) throws -> Void) throws -> UInt64 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    XCTAssertGreaterThanOrEqual(fd, 0)
    defer { close(fd) }
    let writer = ZipWriter(fd: fd, path: path, options: options)
    try body(writer)
    return try writer.finish()
}

/// An output that writes to a file but cannot overwrite (as a pipe or a hashing tee could not).
final class AppendOnlyOutput: ZipOutput {
    let inner: FileDescriptorOutput
    init(_ inner: FileDescriptorOutput) { self.inner = inner }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try inner.write(bytes) }
}

/// Keeps the archive in memory.
final class MemoryOutput: ZipOutput {
    var bytes: [UInt8] = []
    func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
}

/// A little-endian field of `bytes`.
func le<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int, as: T.Type) -> T {
    bytes[at..<at + MemoryLayout<T>.size].reversed().reduce(T(0)) { $0 << 8 | T($1) }
}

func assertCustodyError<T>(_ body: @autoclosure () throws -> T, field: String? = nil, contains text: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard let error = error as? CustodyError else { return XCTFail("\(error)", file: file, line: line) }
        if let field { XCTAssertEqual(error.field, field, file: file, line: line) }
        XCTAssertTrue(error.message.contains(text), error.message, file: file, line: line)
    }
}
