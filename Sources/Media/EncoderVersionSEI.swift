import CFFmpeg

/// Removes x264's self-identification from the first encoded packet: an SEI NAL unit (user data)
/// holding "x264 - core <build> ... options: ...". Without it the derived file names no library
/// version, like the container written with `AVFMT_FLAG_BITEXACT`. Packets are Annex B (start codes),
/// as libx264 emits them before the MP4 muxer converts them; emulation prevention guarantees that a
/// start code never occurs inside a NAL unit, so splitting at start codes is exact.
enum EncoderVersionSEI {
    static let marker = Array("x264 - core".utf8)

    /// Strips the version SEI from `packet` in place; returns whether one was found.
    @discardableResult
    static func strip(_ packet: Packet) throws -> Bool {
        let p = packet.pointer
        guard let data = p.pointee.data, p.pointee.size > 4 else { return false }
        let bytes = Array(UnsafeBufferPointer(start: data, count: Int(p.pointee.size)))
        let units = nalUnits(bytes)
        let kept = units.filter { !isVersionSEI(bytes[$0.payload]) }
        guard kept.count < units.count else { return false }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        for unit in kept { out += bytes[unit.whole] }
        try MediaError.check(av_packet_make_writable(p), "av_packet_make_writable", "H.264 packet")
        out.withUnsafeBufferPointer { src in
            p.pointee.data.update(from: src.baseAddress!, count: src.count)
        }
        av_shrink_packet(p, Int32(out.count))
        return true
    }

    /// Each NAL unit: its whole range (start code included) and its payload (header byte onwards).
    static func nalUnits(_ b: [UInt8]) -> [(whole: Range<Int>, payload: Range<Int>)] {
        var starts = [(code: Int, payload: Int)]()
        var i = 0
        while i + 2 < b.count {
            if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
                let code = i > 0 && b[i - 1] == 0 ? i - 1 : i
                starts.append((code, i + 3))
                i += 3
            } else {
                i += 1
            }
        }
        guard let first = starts.first, first.code == 0 else { return [(0..<b.count, 0..<b.count)] }
        return starts.indices.map { k in
            let end = k + 1 < starts.count ? starts[k + 1].code : b.count
            return (starts[k].code..<end, starts[k].payload..<end)
        }
    }

    /// An SEI (NAL type 6) whose payload carries x264's version string.
    static func isVersionSEI(_ unit: ArraySlice<UInt8>) -> Bool {
        guard let header = unit.first, header & 0x1F == 6 else { return false }
        let body = Array(unit.prefix(64))
        return body.count >= marker.count
            && (0...(body.count - marker.count)).contains { body[$0..<$0 + marker.count].elementsEqual(marker) }
    }
}
