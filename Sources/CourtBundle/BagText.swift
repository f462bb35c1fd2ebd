import Foundation

/// The text files of a bag as the verifier reads them: manifests and `bag-info.txt` (RFC 8493).
enum BagText {
    /// `<hex SHA-256> <path>` lines (one or more spaces or tabs between; LF or CRLF line ends), the
    /// path decoded (`%0A`, `%0D`, `%25`). Returns (path, hex) pairs, or a message naming the bad line.
    static func manifest(_ bytes: [UInt8], file: String) throws -> [(path: String, hex: String)] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw BundleFailure(.bagit, "\(file) is not UTF-8", entry: file)
        }
        var out: [(String, String)] = []
        var seen = Set<String>()
        for (index, raw) in lines(text).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let hex = line.prefix { $0 != " " && $0 != "\t" }
            let rest = line.dropFirst(hex.count).drop { $0 == " " || $0 == "\t" }
            guard hex.count == 64, hex.utf8.allSatisfy(isHex), !rest.isEmpty else {
                throw BundleFailure(.bagit, "\(file) line \(index + 1) is not \"<sha256> <path>\"", entry: file)
            }
            let path = decode(String(rest))
            guard seen.insert(path).inserted else {
                throw BundleFailure(.bagit, "\(file) lists \(path) twice", entry: file)
            }
            out.append((path, hex.lowercased()))
        }
        return out
    }

    /// `Label: value` fields, continuation lines (starting with space or tab) joined to the one before.
    static func fields(_ bytes: [UInt8], file: String) throws -> [(label: String, value: String)] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw BundleFailure(.bagit, "\(file) is not UTF-8", entry: file)
        }
        var out: [(String, String)] = []
        for raw in lines(text) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if let first = line.first, first == " " || first == "\t", !out.isEmpty {
                out[out.count - 1].1 += "\n" + line
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw BundleFailure(.bagit, "\(file) has a line that is no \"Label: value\" field", entry: file)
            }
            out.append((String(line[..<colon]).trimmed, String(line[line.index(after: colon)...]).trimmed))
        }
        return out
    }

    /// The lines of a text that ends in a line feed (a last line without one counts too).
    private static func lines(_ text: String) -> [Substring] {
        // By scalar: in a String, CR LF is one Character, which a split on "\n" would not cut.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Substring.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    private static func decode(_ path: String) -> String {
        guard path.contains("%") else { return path }
        return path.replacingAll("%0A", "\n").replacingAll("%0a", "\n").replacingAll("%0D", "\r")
            .replacingAll("%0d", "\r").replacingAll("%25", "%")
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: CharacterSet(charactersIn: " \t")) }

    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
