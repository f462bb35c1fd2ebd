import CustodyCore

/// The central directory: every entry's record read, checked and matched with its local header.
extension ZipReader {
    static let centralSignature: UInt32 = 0x0201_4B50
    static let localSignature: UInt32 = 0x0403_4B50
    static let descriptorSignature: UInt32 = 0x0807_4B50
    static let centralSize = 46
    static let localSize = 30
    static let max32: UInt64 = 0xFFFF_FFFF

    func readDirectory(_ end: ZipEnd, limits: Limits) throws -> [ZipEntry] {
        guard end.entries <= UInt64(limits.maxEntries) else {
            throw BundleFailure(.zip, "the ZIP claims \(end.entries) entries; at most \(limits.maxEntries) are read")
        }
        guard end.directorySize <= limits.maxDirectoryBytes else {
            throw BundleFailure(.zip, "the central directory claims \(end.directorySize) bytes; at most "
                                + "\(limits.maxDirectoryBytes) are read")
        }
        guard end.directoryOffset <= end.directoryEnd,
              end.directoryEnd - end.directoryOffset == end.directorySize else {
            throw BundleFailure(.zip, "the central directory (offset \(end.directoryOffset), \(end.directorySize) "
                                + "bytes) does not end where the end records begin (\(end.directoryEnd))")
        }
        guard end.entries * UInt64(Self.centralSize) <= end.directorySize else {
            throw BundleFailure(.zip, "the central directory is too short for the \(end.entries) entries it claims")
        }
        let directory = try read(at: end.directoryOffset, count: Int(end.directorySize), what: "central directory")
        var r = LittleEndian(directory)
        var found: [ZipEntry] = []
        found.reserveCapacity(Int(end.entries))
        var names = ZipNames()
        for index in 0..<end.entries {
            let record = try CentralRecord(&r, index: index, limits: limits)
            try names.check(record.name)
            found.append(try matchLocal(record))
        }
        guard r.remaining == 0 else {
            throw BundleFailure(.zip, "the central directory holds more than the \(end.entries) entries it claims")
        }
        found.sort { $0.headerOffset < $1.headerOffset }
        var expected: UInt64 = 0
        for entry in found {
            guard entry.headerOffset == expected else {
                throw BundleFailure(.zip, entry.headerOffset < expected
                    ? "entry \(entry.name) overlaps the entry before it" : "bytes before entry \(entry.name) belong to "
                      + "no entry", entry: entry.name)
            }
            expected = entry.end
        }
        guard expected == end.directoryOffset else {
            throw BundleFailure(.zip, "the bytes between the last entry (ending at \(expected)) and the central "
                                + "directory (at \(end.directoryOffset)) belong to no entry, or the entries overlap it")
        }
        return found
    }

    /// Reads the local header (and data descriptor) `record` points at and checks both agree with it.
    private func matchLocal(_ c: CentralRecord) throws -> ZipEntry {
        func fail(_ why: String) -> BundleFailure { BundleFailure(.zip, "entry \(c.name): \(why)", entry: c.name) }
        let header = try read(at: c.headerOffset, count: Self.localSize, what: "local header of \(c.name)")
        var r = LittleEndian(header)
        guard r.u32() == Self.localSignature else { throw fail("no local header at offset \(c.headerOffset)") }
        r.at += 2
        let flags = r.u16(), method = r.u16()
        r.at += 4
        let crc = r.u32()
        var packed = UInt64(r.u32()), size = UInt64(r.u32())
        let nameLength = Int(r.u16()), extraLength = Int(r.u16())
        guard flags == c.flags, method == 0 else { throw fail("the local header's flags or method differ") }
        guard nameLength == c.nameBytes.count else { throw fail("the local header holds another name") }
        let variable = try read(at: c.headerOffset + UInt64(Self.localSize), count: nameLength + extraLength,
                                what: "local header of \(c.name)")
        guard Array(variable[0..<nameLength]) == c.nameBytes else { throw fail("the local header holds another name") }
        let zip64 = try ZipExtra.zip64(Array(variable[nameLength...]), name: c.name)
        var localZip64 = false
        if let zip64, packed == Self.max32 || size == Self.max32 {
            localZip64 = true
            var z = LittleEndian(zip64)
            guard zip64.count >= 16 else { throw fail("the local ZIP64 field is too short") }
            size = z.u64()
            packed = z.u64()
        }
        let dataOffset = c.headerOffset + UInt64(Self.localSize + nameLength + extraLength)
        guard dataOffset <= fileSize, c.size <= fileSize - dataOffset else {
            throw fail("its \(c.size) bytes of data run past the end of the file")
        }
        var end = dataOffset + c.size
        if flags & 0x0008 != 0 {
            guard crc == 0 || crc == c.crc, (size == 0 && packed == 0) || (size == c.size && packed == c.size) else {
                throw fail("the local header's CRC-32 or sizes differ from the central directory's")
            }
            end = try checkDescriptor(at: end, c, eightByteSizes: localZip64, fail)
        } else {
            guard crc == c.crc, size == c.size, packed == c.size else {
                throw fail("the local header's CRC-32 or sizes differ from the central directory's")
            }
        }
        return ZipEntry(name: c.name, headerOffset: c.headerOffset, dataOffset: dataOffset, size: c.size, crc: c.crc,
                        end: end)
    }

    /// The data descriptor after the data (signature optional, as APPNOTE allows); returns where it ends.
    private func checkDescriptor(at offset: UInt64, _ c: CentralRecord, eightByteSizes: Bool,
                                 _ fail: (String) -> BundleFailure) throws -> UInt64 {
        let length = 4 + (eightByteSizes ? 16 : 8)
        let first = try read(at: offset, count: 4, what: "data descriptor of \(c.name)")
        let signed = LittleEndian(first).bytes == [0x50, 0x4B, 0x07, 0x08]
        let start = offset + (signed ? 4 : 0)
        var r = LittleEndian(try read(at: start, count: length, what: "data descriptor of \(c.name)"))
        let crc = r.u32()
        let packed = eightByteSizes ? r.u64() : UInt64(r.u32())
        let size = eightByteSizes ? r.u64() : UInt64(r.u32())
        guard crc == c.crc, packed == c.size, size == c.size else {
            throw fail("the data descriptor's CRC-32 or sizes differ from the central directory's")
        }
        return start + UInt64(length)
    }
}

/// One central-directory record, its ZIP64 field applied.
struct CentralRecord {
    let name: String
    let nameBytes: [UInt8]
    let flags: UInt16
    let crc: UInt32
    let size: UInt64
    let headerOffset: UInt64

    init(_ r: inout LittleEndian, index: UInt64, limits: ZipReader.Limits) throws {
        func fail(_ why: String) -> BundleFailure { BundleFailure(.zip, "central directory entry \(index): \(why)") }
        guard r.remaining >= ZipReader.centralSize, r.u32() == ZipReader.centralSignature else {
            throw fail("no central directory header where one should be")
        }
        r.at += 4  // versions
        flags = r.u16()
        let method = r.u16()
        r.at += 4  // time, date
        crc = r.u32()
        var packed = UInt64(r.u32()), size = UInt64(r.u32())
        let nameLength = Int(r.u16()), extraLength = Int(r.u16()), commentLength = Int(r.u16())
        let disk = r.u16()
        r.at += 6  // attributes
        var offset = UInt64(r.u32())
        guard nameLength <= limits.maxNameBytes else {
            throw fail("its name is longer than \(limits.maxNameBytes) bytes")
        }
        guard r.remaining >= nameLength + extraLength + commentLength else { throw fail("it runs past the directory") }
        nameBytes = Array(r.bytes[r.at..<r.at + nameLength])
        let extra = Array(r.bytes[r.at + nameLength..<r.at + nameLength + extraLength])
        r.at += nameLength + extraLength + commentLength
        guard let name = String(validating: nameBytes, as: UTF8.self) else { throw fail("its name is not UTF-8") }
        self.name = name
        func failNamed(_ why: String) -> BundleFailure { BundleFailure(.zip, "entry \(name): \(why)", entry: name) }
        guard method == 0 else { throw failNamed("it is compressed (method \(method)); a bundle stores entries") }
        guard flags & 0x0001 == 0, flags & 0x0040 == 0 else { throw failNamed("it is encrypted") }
        if let zip64 = try ZipExtra.zip64(extra, name: name) {
            var z = LittleEndian(zip64)
            func next() throws -> UInt64 {
                guard z.remaining >= 8 else { throw failNamed("its ZIP64 field is too short") }
                return z.u64()
            }
            if size == ZipReader.max32 { size = try next() }
            if packed == ZipReader.max32 { packed = try next() }
            if offset == ZipReader.max32 { offset = try next() }
        }
        guard disk == 0 || disk == 0xFFFF else { throw failNamed("it is on another disk") }
        guard packed == size else { throw failNamed("its stored and original sizes differ") }
        guard !name.hasSuffix("/") || size == 0 else { throw failNamed("a folder entry holds data") }
        self.size = size
        headerOffset = offset
    }
}

/// Extra fields: only the ZIP64 one (tag 1) is used; each field must fit.
enum ZipExtra {
    static func zip64(_ extra: [UInt8], name: String) throws -> [UInt8]? {
        var r = LittleEndian(extra)
        var found: [UInt8]?
        while r.remaining > 0 {
            guard r.remaining >= 4 else { throw malformed(name) }
            let tag = r.u16(), length = Int(r.u16())
            guard r.remaining >= length else { throw malformed(name) }
            if tag == 0x0001 {
                guard found == nil else { throw malformed(name) }
                found = Array(extra[r.at..<r.at + length])
            }
            r.at += length
        }
        return found
    }

    private static func malformed(_ name: String) -> BundleFailure {
        BundleFailure(.zip, "entry \(name): its extra fields are malformed", entry: name)
    }
}

/// Names that cannot escape the folder they are extracted into, each once (canonically equal Unicode
/// names are the same name: Swift compares strings by canonical equivalence).
struct ZipNames {
    private var seen = Set<String>()

    mutating func check(_ name: String) throws {
        func refuse(_ why: String) -> BundleFailure {
            BundleFailure(.zip, "entry name \"\(name)\" \(why)", entry: name)
        }
        guard !name.isEmpty else { throw refuse("is empty") }
        guard !name.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\0" }) else {
            throw refuse("holds a backslash or NUL")
        }
        guard !name.hasPrefix("/") else { throw refuse("is absolute") }
        let body = name.hasSuffix("/") ? String(name.unicodeScalars.dropLast()) : name
        let parts = body.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false)
        let dots: Set<String> = [".", ".."]
        guard !parts.contains(where: { $0.isEmpty || dots.contains(String(Substring($0))) }) else {
            throw refuse("has an empty, . or .. part")
        }
        guard seen.insert(name).inserted else { throw refuse("appears twice in the archive") }
    }
}
