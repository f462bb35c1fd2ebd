/// The byte layouts of the ZIP records custody writes (PKWARE APPNOTE 6.3.10; the subset is in
/// README.md). All integers little-endian.
enum ZipRecords {
    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let dataDescriptorSignature: UInt32 = 0x0807_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let endSignature: UInt32 = 0x0605_4B50

    /// A 32-bit field that holds this says "see the ZIP64 extra field"; so does 0xFFFF for a count.
    static let max32: UInt64 = 0xFFFF_FFFF
    static let max16: UInt64 = 0xFFFF
    static let zip64ExtraTag: UInt16 = 0x0001
    /// Bit 3: CRC and sizes follow the data in a data descriptor. Bit 11: the name is UTF-8.
    static let flagDataDescriptor: UInt16 = 1 << 3
    static let flagUTF8: UInt16 = 1 << 11
    /// Version needed to extract: 2.0 (stored entries, folders), 4.5 (ZIP64).
    static let version20: UInt16 = 20
    static let version45: UInt16 = 45
    /// Version made by: high byte 3 = Unix (external attributes hold a Unix mode).
    static let madeByUnix: UInt16 = 3 << 8
    /// Offset of the CRC-32 field in a local file header.
    static let localHeaderCRCOffset: UInt64 = 14

    /// Where each central-directory field stands for one entry.
    struct Entry {
        let name: [UInt8]
        let flags: UInt16
        let time: DOSTime
        let externalAttributes: UInt32
        let localHeaderOffset: UInt64
        /// Its local header carries a ZIP64 extra field (so its data descriptor has 8-byte sizes).
        let localZip64: Bool
        var crc: UInt32 = 0
        var size: UInt64 = 0
    }

    static func localHeader(_ e: Entry, size: UInt64?, into out: inout [UInt8]) {
        out.le32(localHeaderSignature)
        out.le16(e.localZip64 ? version45 : version20)
        out.le16(e.flags)
        out.le16(0)  // method 0: stored
        out.le16(e.time.time)
        out.le16(e.time.date)
        out.le32(0)  // CRC-32: overwritten after the data, or in the data descriptor
        let small = size.map { UInt32(clamping: $0) } ?? 0
        out.le32(e.localZip64 ? UInt32(max32) : small)  // compressed size
        out.le32(e.localZip64 ? UInt32(max32) : small)  // uncompressed size
        out.le16(UInt16(e.name.count))
        out.le16(e.localZip64 ? 20 : 0)
        out.append(contentsOf: e.name)
        if e.localZip64 {
            out.le16(zip64ExtraTag)
            out.le16(16)
            out.le64(size ?? 0)  // uncompressed
            out.le64(size ?? 0)  // compressed
        }
    }

    static func dataDescriptor(_ e: Entry, into out: inout [UInt8]) {
        out.le32(dataDescriptorSignature)
        out.le32(e.crc)
        if e.localZip64 {
            out.le64(e.size)
            out.le64(e.size)
        } else {
            out.le32(UInt32(e.size))
            out.le32(UInt32(e.size))
        }
    }

    static func centralHeader(_ e: Entry, forceZip64: Bool, into out: inout [UInt8]) {
        let bigSize = forceZip64 || e.size >= max32
        let bigOffset = forceZip64 || e.localHeaderOffset >= max32
        var extra: [UInt8] = []
        if bigSize { extra.le64(e.size); extra.le64(e.size) }
        if bigOffset { extra.le64(e.localHeaderOffset) }
        let version = e.localZip64 || !extra.isEmpty ? version45 : version20
        out.le32(centralHeaderSignature)
        out.le16(madeByUnix | version)
        out.le16(version)
        out.le16(e.flags)
        out.le16(0)  // stored
        out.le16(e.time.time)
        out.le16(e.time.date)
        out.le32(e.crc)
        out.le32(bigSize ? UInt32(max32) : UInt32(e.size))
        out.le32(bigSize ? UInt32(max32) : UInt32(e.size))
        out.le16(UInt16(e.name.count))
        out.le16(extra.isEmpty ? 0 : UInt16(4 + extra.count))
        out.le16(0)  // comment length
        out.le16(0)  // disk number start
        out.le16(0)  // internal attributes
        out.le32(e.externalAttributes)
        out.le32(bigOffset ? UInt32(max32) : UInt32(e.localHeaderOffset))
        out.append(contentsOf: e.name)
        if !extra.isEmpty {
            out.le16(zip64ExtraTag)
            out.le16(UInt16(extra.count))
            out.append(contentsOf: extra)
        }
    }

    /// The end records: with `zip64`, the ZIP64 end of central directory record and its locator come
    /// first and every field of the classic record says "see ZIP64".
    static func end(entries: UInt64, directorySize: UInt64, directoryOffset: UInt64, zip64: Bool,
                    into out: inout [UInt8]) {
        if zip64 {
            let recordOffset = directoryOffset + directorySize
            out.le32(zip64EndSignature)
            out.le64(44)  // size of the rest of this record
            out.le16(madeByUnix | version45)
            out.le16(version45)
            out.le32(0)  // this disk
            out.le32(0)  // disk with the central directory
            out.le64(entries)
            out.le64(entries)
            out.le64(directorySize)
            out.le64(directoryOffset)
            out.le32(zip64LocatorSignature)
            out.le32(0)  // disk with the ZIP64 end record
            out.le64(recordOffset)
            out.le32(1)  // total disks
        }
        out.le32(endSignature)
        out.le16(0)
        out.le16(0)
        out.le16(zip64 ? UInt16(max16) : UInt16(entries))
        out.le16(zip64 ? UInt16(max16) : UInt16(entries))
        out.le32(zip64 ? UInt32(max32) : UInt32(directorySize))
        out.le32(zip64 ? UInt32(max32) : UInt32(directoryOffset))
        out.le16(0)  // comment length
    }
}

extension [UInt8] {
    mutating func le16(_ v: UInt16) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func le32(_ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func le64(_ v: UInt64) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
}
