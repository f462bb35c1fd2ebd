import CustodyCore

/// Where the central directory is, from the end of central directory record (searched for in the
/// last 65,557 bytes only: the record and the longest comment) and, when it says so, the ZIP64
/// locator and record.
struct ZipEnd {
    static let endSignature: UInt32 = 0x0605_4B50
    static let locatorSignature: UInt32 = 0x0706_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let endSize = 22
    static let locatorSize = 20
    static let zip64EndSize = 56

    var entries: UInt64
    var directorySize: UInt64
    var directoryOffset: UInt64
    /// Where the records after the central directory begin (the ZIP64 record, or the classic one).
    var directoryEnd: UInt64

    static func find(_ zip: ZipReader) throws -> ZipEnd {
        guard zip.fileSize >= UInt64(endSize) else {
            throw CustodyError.invalidInput(field: "zip", "\(zip.path) is no ZIP: it is only \(zip.fileSize) bytes")
        }
        let tail = min(zip.fileSize, UInt64(endSize + 0xFFFF))
        let bytes = try zip.read(at: zip.fileSize - tail, count: Int(tail), what: "end of the file")
        // The last record whose comment reaches exactly to the end of the file.
        var at = bytes.count - endSize
        while at >= 0 {
            var r = LittleEndian(bytes, at: at)
            if r.u32() == endSignature {
                r.at = at + 20
                if at + endSize + Int(r.u16()) == bytes.count { break }
            }
            at -= 1
        }
        guard at >= 0 else {
            throw CustodyError.invalidInput(field: "zip",
                "\(zip.path) is no ZIP: it has no end of central directory record (not a ZIP, or cut short)")
        }
        let endOffset = zip.fileSize - tail + UInt64(at)
        var r = LittleEndian(bytes, at: at + 4)
        let disk = r.u16(), directoryDisk = r.u16(), onDisk = UInt64(r.u16()), count = UInt64(r.u16())
        let size = UInt64(r.u32()), offset = UInt64(r.u32())
        guard disk == 0 || disk == 0xFFFF, directoryDisk == 0 || directoryDisk == 0xFFFF else {
            throw BundleFailure(.zip, "the ZIP spans several disks; a bundle is one file")
        }
        let wantsZip64 = count == 0xFFFF || onDisk == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF
        if endOffset >= UInt64(locatorSize) {
            let locator = try zip.read(at: endOffset - UInt64(locatorSize), count: locatorSize, what: "ZIP64 locator")
            var l = LittleEndian(locator)
            if l.u32() == locatorSignature {
                return try zip64(zip, locator: l, locatorOffset: endOffset - UInt64(locatorSize))
            }
        }
        guard !wantsZip64 else {
            throw BundleFailure(.zip, "the end record says ZIP64 but there is no ZIP64 locator before it")
        }
        guard onDisk == count else { throw BundleFailure(.zip, "the end record's two entry counts differ") }
        return ZipEnd(entries: count, directorySize: size, directoryOffset: offset, directoryEnd: endOffset)
    }

    private static func zip64(_ zip: ZipReader, locator: LittleEndian, locatorOffset: UInt64) throws -> ZipEnd {
        var l = locator
        let disk = l.u32(), recordOffset = l.u64(), disks = l.u32()
        guard disk == 0, disks == 1 else { throw BundleFailure(.zip, "the ZIP64 locator names several disks") }
        guard recordOffset <= locatorOffset, locatorOffset - recordOffset >= UInt64(zip64EndSize) else {
            throw BundleFailure(.zip, "the ZIP64 locator points at \(recordOffset), not at a ZIP64 end record")
        }
        var r = LittleEndian(try zip.read(at: recordOffset, count: zip64EndSize, what: "ZIP64 end record"))
        guard r.u32() == zip64EndSignature else {
            throw BundleFailure(.zip, "no ZIP64 end record at offset \(recordOffset), where the locator points")
        }
        let recordSize = r.u64()
        guard recordSize >= 44, recordSize == locatorOffset - recordOffset - 12 else {
            throw BundleFailure(.zip, "the ZIP64 end record's size (\(recordSize)) does not reach the locator")
        }
        r.at += 4  // versions
        let thisDisk = r.u32(), directoryDisk = r.u32()
        let onDisk = r.u64(), count = r.u64(), size = r.u64(), offset = r.u64()
        guard thisDisk == 0, directoryDisk == 0 else { throw BundleFailure(.zip, "the ZIP64 end record names disks") }
        guard onDisk == count else { throw BundleFailure(.zip, "the ZIP64 end record's two entry counts differ") }
        return ZipEnd(entries: count, directorySize: size, directoryOffset: offset, directoryEnd: recordOffset)
    }
}
