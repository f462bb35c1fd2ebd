import CustodyCore

/// Takes one entry's bytes inside `ZipWriter.add`: counts them against the declared size, adds them
/// to the CRC-32 and passes them on. Valid only while the closure given to `add` runs.
public final class ZipEntryWriter {
    /// The bytes written so far.
    public private(set) var count: UInt64 = 0
    private(set) var crc = CRC32()
    private let declared: UInt64?
    private let name: String
    private unowned let writer: ZipWriter
    var open = true

    init(writer: ZipWriter, name: String, declared: UInt64?) {
        self.writer = writer
        self.name = name
        self.declared = declared
    }

    /// Appends `bytes` to the entry. More bytes than the declared size are refused before any is written.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard open else {
            throw CustodyError.failure("the entry \"\(name)\" is finished; its writer was kept past add")
        }
        if let declared, UInt64(bytes.count) > declared - count {
            throw CustodyError.invalidInput(
                field: "size", "the ZIP entry \"\(name)\" was declared as \(declared) bytes but got more")
        }
        crc.update(bytes)
        try writer.emitData(bytes)
        count += UInt64(bytes.count)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Checks the count against the declared size once the data is all in.
    func close() throws {
        open = false
        if let declared, count != declared {
            throw CustodyError.invalidInput(
                field: "size", "the ZIP entry \"\(name)\" was declared as \(declared) bytes but got \(count)")
        }
    }
}
