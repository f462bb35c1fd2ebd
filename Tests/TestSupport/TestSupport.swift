import Foundation

/// Paths shared by every test target, found from this file's location.
public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func fixture(_ name: String) -> String {
        root.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// The built `custody` binary: $CUSTODY_BIN, else the debug build in .build.
    public static var custodyBinary: String {
        if let bin = ProcessInfo.processInfo.environment["CUSTODY_BIN"] { return bin }
        return root.appendingPathComponent(".build/debug/custody").path
    }

    /// The Python of the test virtualenv (tuspy, bagit), made by Scripts/setup.
    public static var python: String { root.appendingPathComponent(".venv/bin/python").path }

    /// The test virtualenv's bin folder first on PATH, for a tool installed there (`bagit.py`) and the
    /// programs it runs.
    public static var venvEnvironment: [String: String] {
        let bin = root.appendingPathComponent(".venv/bin").path
        return ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    }
}

/// A fresh directory under the system temp dir, removed by `remove()` or when the object goes away.
///
/// XCTest keeps every test-case object until the process exits, so a directory held in a test case's
/// property must be removed in its `tearDown`: a deinit there never runs.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    /// A new folder under `$TMPDIR`, or with `onDisk` under `$CUSTODY_TEST_DISK_TMPDIR` when it is set: a test
    /// of what only a disk filesystem does (direct I/O, another filesystem than tmpfs) asks for that, as
    /// `Scripts/test` runs the suite with `$TMPDIR` on tmpfs where there is room (fsync there costs nothing).
    public init(_ label: String = "custody-test", onDisk: Bool = false) {
        let name = "\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        let disk = onDisk ? ProcessInfo.processInfo.environment["CUSTODY_TEST_DISK_TMPDIR"].map(URL.init(fileURLWithPath:))
            : nil
        url = (disk ?? FileManager.default.temporaryDirectory).appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    deinit { remove() }
}

/// The result of running a program to completion.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs a program with arguments, optional extra environment and stdin, and waits for it.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       stdin: String? = nil, currentDirectory: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inPipe
    try process.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    let errData = LockedData()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData.set(errPipe.fileHandleForReading.readDataToEndOfFile())
        group.leave()
    }
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: errData.get(), as: UTF8.self))
}

/// Finds a program on PATH (e.g. "ffprobe", "openssl", "curl").
public func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Runs a program (output discarded) and returns its exit status and its own peak RSS in KiB,
/// measured by the kernel (wait4's rusage of that child alone) through `Scripts/lib/measure.py`,
/// which forks: a child spawned straight from this (large) test process would report this
/// process's memory, which Linux records as the child's when it execs.
public func runMeasuringPeakRSS(_ executable: String, _ arguments: [String], environment: [String: String] = [:])
    throws -> (status: Int32, peakKiB: Int)
{
    let script = TestPaths.root.appendingPathComponent("Scripts/lib/measure.py").path
    let r = try runProcess("/usr/bin/env", ["python3", script, executable] + arguments, environment: environment)
    let fields = r.stdout.split(separator: " ")
    guard fields.count == 2, let kib = Int(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw NSError(domain: "measure.py printed \(r.stdout) \(r.stderr)", code: Int(r.status))
    }
    return (r.status, kib)
}

/// SplitMix64: tiny, seedable, and the same sequence on every machine, so a failure reproduces.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes of the sequence, eight from each number (fast enough for megabytes in debug).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for i in words.indices { words[i] = next() }
        return words.withUnsafeBytes { Array($0.prefix(count)) }
    }
}

/// VmRSS of this process in bytes, from /proc/self/status.
public func residentBytes() throws -> Int {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ")[1]) else {
        throw CocoaError(.fileReadCorruptFile)
    }
    return kilobytes * 1024
}
