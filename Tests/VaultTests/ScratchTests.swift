import CustodyCore
import Foundation
import POSIX
import TestSupport
import XCTest
@testable import Vault

/// Every temporary file custody makes in the data directory is under `tmp/`, named after its process;
/// what a process that is gone left there is removed when the vault is next opened.
final class ScratchTests: XCTestCase {
    var dir: TemporaryDirectory!
    var directory: DataDirectory!

    override func setUpWithError() throws {
        dir = TemporaryDirectory()
        directory = DataDirectory(root: dir.file("data"))
        _ = try Vault.initialize(directory, org: "test", actor: .officer("PC-4471"))
    }

    override func tearDown() {
        dir?.remove()
    }

    func entries(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func testInitLeavesNoTemporaryAndIngestStagesChunksUnderTmp() throws {
        XCTAssertEqual(try entries(directory.scratch), [])
        XCTAssertEqual(try entries(directory.keys), ["ledger.key", "ledger.pub", "link.secret"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.chunks + "/.tmp"))
        let vault = try Vault(directory: directory)
        let bytes = [UInt8](repeating: 7, count: 1000)
        try bytes.withUnsafeBytes { try vault.store.put(SHA256Digest(bytes: Array(repeating: 1, count: 32)), $0) }
        let staged = try entries(directory.scratch)
        XCTAssertEqual(staged.count, 1)
        XCTAssertTrue(staged[0].hasPrefix("\(getpid())-"), staged[0])
    }

    func testWhatDeadProcessesLeftIsRemovedAtStartAndLiveOnesAreKept() throws {
        // A pid above the kernel's pid_max cannot be alive; pid 1 always is.
        let fm = FileManager.default
        XCTAssertTrue(fm.createFile(atPath: directory.scratch + "/99999999-ab-1-chunk", contents: Data([1])))
        try fm.createDirectory(atPath: directory.scratch + "/99999999-ab-2-redact", withIntermediateDirectories: false)
        XCTAssertTrue(fm.createFile(atPath: directory.scratch + "/99999999-ab-2-redact/x.mp4", contents: Data([1])))
        XCTAssertTrue(fm.createFile(atPath: directory.scratch + "/1-cd-1-chunk", contents: Data([1])))
        // Where versions before tmp/ staged chunks, and where remote workers sharing the store stage theirs: a
        // PID there may be another machine's, so only an old one goes (a killed writer's), not a fresh one.
        try fm.createDirectory(atPath: directory.chunks + "/.tmp", withIntermediateDirectories: false)
        XCTAssertTrue(fm.createFile(atPath: directory.chunks + "/.tmp/99999999-ab-3", contents: Data([1])))
        XCTAssertTrue(fm.createFile(atPath: directory.chunks + "/.tmp/99999999-ab-4-chunk", contents: Data([1])))
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7 * 3600)],
                             ofItemAtPath: directory.chunks + "/.tmp/99999999-ab-3")
        _ = try Vault(directory: directory)
        XCTAssertEqual(try entries(directory.scratch), ["1-cd-1-chunk"])
        XCTAssertEqual(try entries(directory.chunks + "/.tmp"), ["99999999-ab-4-chunk"])
    }

    func testOnlyScratchNamesAreRemovedAndASymlinkedTmpIsNotFollowed() throws {
        let fm = FileManager.default
        // Names a user or another program may have put there: none is a name Scratch makes.
        let foreign = ["2024-photos", "31337", "99999999-notes.txt", "99999999-ab-1-Chunk", "99999999-xyz-1",
                       "99999999-ab-1-chunk-old", "99999999-ab--chunk", "-ab-1"]
        for name in foreign { XCTAssertTrue(fm.createFile(atPath: directory.scratch + "/" + name, contents: nil)) }
        try fm.createDirectory(atPath: directory.scratch + "/2024-09-holiday/sub", withIntermediateDirectories: true)
        _ = try Vault(directory: directory)
        XCTAssertEqual(try entries(directory.scratch), (foreign + ["2024-09-holiday"]).sorted())
        XCTAssertEqual(try entries(directory.scratch + "/2024-09-holiday"), ["sub"])

        // tmp/ a symlink to a shared folder: what is there is others', even under a scratch name.
        let shared = dir.file("shared")
        try fm.createDirectory(atPath: shared, withIntermediateDirectories: false)
        XCTAssertTrue(fm.createFile(atPath: shared + "/99999999-ab-1-chunk", contents: Data([1])))
        try fm.removeItem(atPath: directory.scratch)
        try fm.createSymbolicLink(atPath: directory.scratch, withDestinationPath: shared)
        _ = try Vault(directory: directory)
        XCTAssertEqual(try entries(shared), ["99999999-ab-1-chunk"])
    }

    func testWhatVersionsBeforeTmpLeftIsRemovedWhenItsProcessIsGone() throws {
        let fm = FileManager.default
        for pid in ["99999999", "1"] {
            try fm.createDirectory(atPath: directory.uploads + "/.redact-\(pid)-0a1b2c3d/x",
                                   withIntermediateDirectories: true)
            for key in ["ledger.key", "ledger.pub", "link.secret"] {
                XCTAssertTrue(fm.createFile(atPath: directory.keys + "/\(key).tmp-\(pid)", contents: Data([1])))
            }
        }
        try fm.createDirectory(atPath: directory.chunks + "/.tmp", withIntermediateDirectories: false)
        XCTAssertTrue(fm.createFile(atPath: directory.chunks + "/.tmp/99999999-3", contents: Data([1])))
        XCTAssertTrue(fm.createFile(atPath: directory.chunks + "/.tmp/1-3", contents: Data([1])))
        // Look alike, but not what earlier versions made.
        XCTAssertTrue(fm.createFile(atPath: directory.uploads + "/.redact-99999999-notes", contents: nil))
        XCTAssertTrue(fm.createFile(atPath: directory.keys + "/other.tmp-99999999", contents: nil))
        _ = try Vault(directory: directory)
        XCTAssertEqual(try entries(directory.uploads).filter { $0.hasPrefix(".redact-") },
                       [".redact-1-0a1b2c3d", ".redact-99999999-notes"])
        XCTAssertEqual(try entries(directory.keys), ["ledger.key", "ledger.key.tmp-1", "ledger.pub", "ledger.pub.tmp-1",
                                                     "link.secret", "link.secret.tmp-1", "other.tmp-99999999"])
        XCTAssertEqual(try entries(directory.chunks + "/.tmp"), ["1-3"])
    }

    /// By age, for writers on other machines: only files named as custody names them, older than the limit,
    /// never this process's own, never a folder.
    func testRemoveStaleTakesOnlyOldFilesNamedAsScratch() throws {
        let folder = dir.file("shared-tmp")
        try FileManager.default.createDirectory(atPath: folder + "/7-ab-1-dir", withIntermediateDirectories: true)
        let old = Date(timeIntervalSinceNow: -7200)
        for name in ["5-ab-1-chunk", "6-ab-2", "notes.txt", Scratch.name("-chunk"), "8-ab-3-chunk"] {
            FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8))
            if name != "8-ab-3-chunk" {
                try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder + "/" + name)
            }
        }
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder + "/7-ab-1-dir")
        XCTAssertEqual(Scratch.removeStale(in: folder, olderThan: 3600), 2)
        let own = try XCTUnwrap(try entries(folder).first { $0.hasPrefix(Scratch.prefix) }, "this process's own stays")
        XCTAssertEqual(Set(try entries(folder)), ["7-ab-1-dir", "notes.txt", "8-ab-3-chunk", own])
        XCTAssertEqual(Scratch.removeStale(in: dir.file("none"), olderThan: 0), 0)
    }
}
