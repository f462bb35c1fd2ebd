import CustodyCore
import Foundation

/// Writes a ZIP archive of stored (uncompressed) entries in one pass, in flat memory whatever the
/// entries' sizes: each entry's bytes go through as the caller writes them, with their CRC-32 computed
/// on the way. ZIP64 records appear where a size, offset or count needs them, or everywhere with
/// `forceZip64`. The format written is in README.md beside this file.
///
/// After an error the archive is incomplete and the writer refuses further calls; the caller removes
/// the file. `finish` writes the central directory; syncing and closing the file is the caller's.
public final class ZipWriter {
    public struct Options: Sendable {
        /// ZIP64 extra fields on every entry and the ZIP64 end records, needed or not (for tests).
        public var forceZip64: Bool
        public init(forceZip64: Bool = false) { self.forceZip64 = forceZip64 }
    }

    private enum State { case ready, inEntry, failed, finished }

    private let output: any ZipOutput
    private let options: Options
    private var state = State.ready
    private var entries: [ZipRecords.Entry] = []
    private var names: Set<[UInt8]> = []
    /// Small writes (headers, short data) gather here; `flushed` bytes have gone to the output.
    private var buffer: [UInt8] = []
    private var flushed: UInt64 = 0
    private static let bufferCapacity = 256 * 1024

    /// Writes to `fd` from its current position on (`path` names it in errors).
    public convenience init(fd: Int32, path: String, options: Options = Options()) {
        self.init(output: FileDescriptorOutput(fd: fd, path: path), options: options)
    }

    public init(output: any ZipOutput, options: Options = Options()) {
        self.output = output
        self.options = options
        buffer.reserveCapacity(Self.bufferCapacity)
    }

    /// The archive's length so far.
    public var offset: UInt64 { flushed + UInt64(buffer.count) }

    /// Adds a file entry named `name` (its path in the archive, `/` between folders) whose bytes
    /// `write` gives to the entry writer. With `size`, exactly that many bytes must come; the local
    /// header then holds the size (a data descriptor follows only when the output cannot overwrite
    /// the CRC in place). Without it the entry is streamed: a data descriptor follows the data.
    public func add(name: String, size: UInt64?, modified: Date, permissions: UInt16 = 0o644,
                    write: (ZipEntryWriter) throws -> Void) throws {
        let (bytes, time) = try begin(name: name, folder: false, modified: modified, permissions: permissions)
        try failing {
            let descriptor = size == nil || !output.canOverwrite
            let zip64 = options.forceZip64 || size == nil || size! >= ZipRecords.max32
            var entry = ZipRecords.Entry(
                name: bytes, flags: ZipRecords.flagUTF8 | (descriptor ? ZipRecords.flagDataDescriptor : 0),
                time: time, externalAttributes: UInt32(0o100000 | permissions) << 16,
                localHeaderOffset: offset, localZip64: zip64)
            var header: [UInt8] = []
            ZipRecords.localHeader(entry, size: descriptor ? nil : size, into: &header)
            try emit(header)
            let sink = ZipEntryWriter(writer: self, name: name, declared: size)
            defer { sink.open = false }
            try write(sink)
            try sink.close()
            entry.crc = sink.crc.value
            entry.size = sink.count
            if descriptor {
                var trailer: [UInt8] = []
                ZipRecords.dataDescriptor(entry, into: &trailer)
                try emit(trailer)
            } else {
                try overwriteCRC(entry)
            }
            entries.append(entry)
        }
    }

    /// Adds a folder entry (`name` ends with `/`). Extractors make folders from file names anyway;
    /// an entry gives an empty folder, or a folder's mode and time.
    public func addFolder(name: String, modified: Date, permissions: UInt16 = 0o755) throws {
        let (bytes, time) = try begin(name: name, folder: true, modified: modified, permissions: permissions)
        try failing {
            // 0x10: the MS-DOS directory attribute, for readers that ignore the Unix mode.
            let entry = ZipRecords.Entry(
                name: bytes, flags: ZipRecords.flagUTF8, time: time,
                externalAttributes: UInt32(0o040000 | permissions) << 16 | 0x10,
                localHeaderOffset: offset, localZip64: options.forceZip64)
            var header: [UInt8] = []
            ZipRecords.localHeader(entry, size: 0, into: &header)
            try emit(header)
            entries.append(entry)
        }
    }

    /// Writes the central directory and the end records; returns the archive's length.
    @discardableResult
    public func finish() throws -> UInt64 {
        try begin()
        return try failing {
            let directoryOffset = offset
            var record: [UInt8] = []
            for entry in entries {
                record.removeAll(keepingCapacity: true)
                ZipRecords.centralHeader(entry, forceZip64: options.forceZip64, into: &record)
                try emit(record)
            }
            let directorySize = offset - directoryOffset
            let count = UInt64(entries.count)
            let zip64 = options.forceZip64 || count >= ZipRecords.max16 || directorySize >= ZipRecords.max32
                || directoryOffset >= ZipRecords.max32
            record.removeAll(keepingCapacity: true)
            ZipRecords.end(entries: count, directorySize: directorySize, directoryOffset: directoryOffset,
                           zip64: zip64, into: &record)
            try emit(record)
            try flush()
            state = .finished
            return offset
        }
    }

    // MARK: - Bytes out

    func emitData(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count <= Self.bufferCapacity {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count < Self.bufferCapacity {
            buffer.append(contentsOf: bytes)
        } else {
            try output.write(bytes)
            flushed += UInt64(bytes.count)
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emitData($0) }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try output.write($0) }
        flushed += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// The CRC-32 into the local header written before the data: in the buffer if it is still there.
    private func overwriteCRC(_ entry: ZipRecords.Entry) throws {
        let at = entry.localHeaderOffset + ZipRecords.localHeaderCRCOffset
        var crc: [UInt8] = []
        crc.le32(entry.crc)
        if at >= flushed {
            let index = Int(at - flushed)
            buffer.replaceSubrange(index..<index + 4, with: crc)
        } else {
            try crc.withUnsafeBytes { try output.overwrite($0, at: at) }
        }
    }

    // MARK: - State

    private func begin() throws {
        switch state {
        case .ready: state = .inEntry
        case .inEntry:
            throw CustodyError.failure("a ZIP entry was added while another was being written")
        case .failed:
            throw CustodyError.failure("the ZIP writer stopped at an earlier error; the archive is incomplete")
        case .finished:
            throw CustodyError.failure("the ZIP archive is finished; nothing more can be added")
        }
    }

    /// Runs a step that writes: an error leaves the archive incomplete for good.
    private func failing<T>(_ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            if state == .inEntry { state = .ready }
            return result
        } catch {
            state = .failed
            throw error
        }
    }

    /// Starts an entry: its name and time as the headers hold them. Input refused here leaves the
    /// writer as it was.
    private func begin(name: String, folder: Bool, modified: Date,
                       permissions: UInt16) throws -> ([UInt8], DOSTime) {
        try begin()
        do {
            let bytes = try ZipEntryName.validated(name, folder: folder)
            let time = try DOSTime(modified)
            guard permissions <= 0o7777 else {
                throw CustodyError.invalidInput(field: "permissions",
                    "ZIP entry permissions must be at most 0o7777, not 0o\(String(permissions, radix: 8))")
            }
            guard names.insert(bytes).inserted else {
                throw CustodyError.invalidInput(field: "name", "the ZIP already holds an entry named \"\(name)\"")
            }
            return (bytes, time)
        } catch {
            state = .ready
            throw error
        }
    }
}
