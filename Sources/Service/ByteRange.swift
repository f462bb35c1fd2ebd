import Foundation

/// The part of a file a GET asks for with `Range` and `If-Range` (RFC 9110 sections 13.1.5, 14.1.2,
/// 14.2), for a file of `size` bytes with the strong ETag `etag`. One range only: several ranges
/// (a multipart answer) are answered with the whole file, as the RFC lets a server ignore Range.
enum ByteRange: Equatable {
    /// No (usable) Range, or If-Range names another version: 200 with the whole file.
    case whole
    /// 206 with these bytes.
    case part(offset: Int64, length: Int64)
    /// 416: the range starts at or past the end (or asks for the last 0 bytes).
    case unsatisfiable

    private static let ows = CharacterSet(charactersIn: " \t")

    static func of(range: [String], ifRange: [String], size: Int64, etag: String) -> ByteRange {
        guard range.count == 1 else { return .whole }  // none, or repeated: ignored
        // If-Range: only a strong ETag can match (we send no Last-Modified, so a date never does).
        if !ifRange.isEmpty && (ifRange.count > 1 || ifRange[0].trimmingCharacters(in: ows) != etag) {
            return .whole
        }
        return parse(range[0], size: size)
    }

    /// `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (another unit, several ranges, bad syntax)
    /// is ignored: the whole file.
    static func parse(_ header: String, size: Int64) -> ByteRange {
        let value = header.trimmingCharacters(in: ows)
        guard value.prefix(6).lowercased() == "bytes=" else { return .whole }
        let spec = value.dropFirst(6).trimmingCharacters(in: ows)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: ows)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: ows)
        if first.isEmpty {
            guard let n = number(last) else { return .whole }
            guard n > 0, size > 0 else { return .unsatisfiable }
            let length = min(n, size)
            return .part(offset: size - length, length: length)
        }
        guard let start = number(first) else { return .whole }
        var end = size - 1
        if !last.isEmpty {
            guard let given = number(last), given >= start else { return .whole }
            end = min(given, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .part(offset: start, length: end - start + 1)
    }

    /// Plain decimal digits, at most 18 (no overflow).
    private static func number(_ text: String) -> Int64? {
        guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int64(text)
    }
}
