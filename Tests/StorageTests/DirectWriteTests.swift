import CustodyCore
import Crypto
import Foundation
import POSIX
import StorageConformance
import TestSupport
import XCTest
@testable import Storage

/// Chunks and upload pieces are written with direct I/O where the filesystem allows it, through the
/// page cache where it does not (tmpfs) and for what is not 4 KiB-aligned.
final class DirectWriteTests: XCTestCase {
    let bytes: [UInt8] = (0..<(3 * 4096 + 4096 * 4 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }

    /// Writes `count` bytes of `bytes` from an aligned buffer at `offset` within it into a new file.
    func write(_ path: String, count: Int, bufferOffset: Int = 0) throws -> Bool {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count + bufferOffset + 1, alignment: 4096)
        defer { buffer.deallocate() }
        bytes.withUnsafeBytes { buffer.baseAddress!.advanced(by: bufferOffset).copyMemory(from: $0.baseAddress!, byteCount: count) }
        let (fd, direct) = try FS.openForDirectWrite(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        defer { close(fd) }
        try FS.writeMostlyDirect(fd, UnsafeRawBufferPointer(rebasing: buffer[bufferOffset..<(bufferOffset + count)]),
                                 direct: direct, path: path)
        try FS.fsync(fd, path: path)
        return direct
    }

    func contents(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Pages of the file at `path` that are in the page cache.
    func residentPages(_ path: String) throws -> [Bool] {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let size = Int(try FS.fileSize(path))
        guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw SystemError(call: "mmap", path: path, errno: errno)
        }
        defer { munmap(map, size) }
        var vec = [UInt8](repeating: 0, count: (size + 4095) / 4096)
        XCTAssertEqual(mincore(map, size, &vec), 0)
        return vec.map { $0 & 1 == 1 }
    }

    func testEverySizeAndAlignmentRoundTrips() throws {
        let dir = TemporaryDirectory(onDisk: true)
        for (i, (count, offset)) in [(0, 0), (17, 0), (4096, 0), (3 * 4096 + 17, 0), (bytes.count, 0),
                                     (3 * 4096, 100), (bytes.count - 1, 1)].enumerated() {
            let path = dir.file("f\(i)")
            _ = try write(path, count: count, bufferOffset: offset)
            XCTAssertEqual(try contents(path), Array(bytes[0..<count]), "\(count) bytes at buffer offset \(offset)")
        }
    }

    /// The filesystem type of the mount holding `path`, from /proc/mounts (longest matching prefix).
    func filesystemType(_ path: String) -> String? {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            .filter { $0.count > 2 && (path == $0[1] || path.hasPrefix($0[1] == "/" ? "/" : $0[1] + "/")) }
            .max { $0[1].count < $1[1].count }?[2]
    }

    func testTheAlignedPartBypassesThePageCache() throws {
        let dir = TemporaryDirectory(onDisk: true)
        let path = dir.file("direct")
        // tmpfs is the page cache: it accepts O_DIRECT (since Linux 6.6) but keeps every page.
        if let type = filesystemType(dir.path), type == "tmpfs" { throw XCTSkip("\(dir.path) is on tmpfs") }
        guard try write(path, count: bytes.count) else { throw XCTSkip("\(dir.path) does not take O_DIRECT") }
        XCTAssertEqual(try contents(path), bytes)
        // Reading it back above filled the cache; a second file shows what the write itself left.
        let second = dir.file("direct2")
        _ = try write(second, count: bytes.count)
        let resident = try residentPages(second)
        XCTAssertEqual(resident.count, 8)
        XCTAssertEqual(resident.prefix(7).filter { $0 }.count, 0, "the aligned 28 KiB went straight to the device")
        let chunk = dir.file("chunks")
        let store = try FileChunkStore(root: chunk)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 * 4096, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }  // 7 pages and 17 bytes, then zeros
        let digest = SHA256.hash(UnsafeRawBufferPointer(buffer))
        try store.put(digest, UnsafeRawBufferPointer(buffer))
        try store.sync()
        XCTAssertEqual(try residentPages(store.path(for: digest)).filter { $0 }.count, 0, "chunks are written direct")
    }

    func testTmpfsWorksWhetherOrNotItTakesDirectIO() throws {
        guard filesystemType("/dev/shm") == "tmpfs" else { throw XCTSkip("no tmpfs at /dev/shm") }
        let dir = "/dev/shm/custody-direct-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FS.mkdir(dir, 0o700)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Kernels before 6.6 refuse O_DIRECT on tmpfs (the open falls back); later ones accept it.
        _ = try write(dir + "/f", count: bytes.count)
        XCTAssertEqual(try contents(dir + "/f"), bytes)
        // The chunk store and a vault's uploads work there all the same.
        let store = try FileChunkStore(root: dir + "/chunks")
        let digest = try ChunkStoreConformance.put(store, bytes)
        try store.sync()
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { out.deallocate() }
        XCTAssertEqual(try store.read(digest, into: out), bytes.count)
        XCTAssertEqual(Array(out), bytes)
    }
}
