import Foundation

/// Checks a spec's JSON text before it is parsed, for two things JSONSerialization does not give:
/// where a syntax error is (it says "around character 11", or "unexpected end of file" for a missing
/// comma, and accepts trailing commas), and keys given twice in one object (it keeps the last without a
/// word, so a spec with `"clip"` twice would mean something its reader may not see). A syntax error
/// names the line and column (in characters, from 1); a repeated key names its path like every other
/// spec error. Strict RFC 8259 grammar, at most `maxDepth` nested objects and arrays.
struct SpecJSONSyntax {
    static let maxDepth = 64

    private let bytes: [UInt8]
    private var i = 0

    /// Throws `RedactionSpecError` for the first syntax error or repeated key in `bytes`.
    static func check(_ bytes: [UInt8]) throws {
        var checker = SpecJSONSyntax(bytes: bytes)
        checker.skipSpace()
        try checker.value(path: "", depth: 0)
        checker.skipSpace()
        if checker.i < bytes.count { throw checker.error("text after the end of the spec") }
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    /// "not valid JSON: WHAT at line L, column C", the position being that of the byte at `i`.
    private func error(_ what: String) -> RedactionSpecError {
        var line = 1, column = 1
        for b in bytes[..<min(i, bytes.count)] {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {  // count characters, not UTF-8 continuation bytes
                column += 1
            }
        }
        let found: String
        switch current {
        case nil: found = " (found the end of the text)"
        case let c? where c > 0x20 && c < 0x7F: found = " (found '\(Character(Unicode.Scalar(c)))')"
        default: found = ""
        }
        return RedactionSpecError("spec", "not valid JSON: \(what)\(found) at line \(line), column \(column)")
    }

    private mutating func skipSpace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: Character, _ what: String) throws {
        guard current == c.asciiValue else { throw error("expected \(what)") }
        i += 1
    }

    private mutating func value(path: String, depth: Int) throws {
        guard let c = current else { throw error("expected a value") }
        switch c {
        case UInt8(ascii: "{"): try object(path: path, depth: depth + 1)
        case UInt8(ascii: "["): try array(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: throw error("expected a value")
        }
    }

    /// Steps into an object or list at `depth`; true when it closes at once (`{}`, `[]`).
    private mutating func open(closedBy close: Character, depth: Int) throws -> Bool {
        guard depth <= Self.maxDepth else { throw error("more than \(Self.maxDepth) nested objects and lists") }
        i += 1
        skipSpace()
        guard current == close.asciiValue else { return false }
        i += 1
        return true
    }

    private mutating func object(path: String, depth: Int) throws {
        if try open(closedBy: "}", depth: depth) { return }
        var keys = Set<String>()
        while true {
            guard current == UInt8(ascii: "\"") else { throw error("expected a key in double quotes") }
            let keyStart = i
            let literal = try string()
            // Decoded, so that "r\u0065ct" and "rect" are the same key.
            let key = (try? JSONSerialization.jsonObject(with: Data(literal), options: .fragmentsAllowed)) as? String
                ?? String(decoding: literal, as: UTF8.self)
            let field = path.isEmpty ? key : "\(path).\(key)"
            guard keys.insert(key).inserted else {
                i = keyStart
                throw RedactionSpecError(field, "appears twice in the same object; give each key once")
            }
            skipSpace()
            try expect(":", "':' after the key")
            skipSpace()
            try value(path: field, depth: depth)
            skipSpace()
            if current == UInt8(ascii: ",") {
                i += 1
                skipSpace()
                continue
            }
            try expect("}", "',' or '}'")
            return
        }
    }

    private mutating func array(path: String, depth: Int) throws {
        if try open(closedBy: "]", depth: depth) { return }
        var index = 0
        while true {
            try value(path: "\(path)[\(index)]", depth: depth)
            skipSpace()
            if current == UInt8(ascii: ",") {
                i += 1
                skipSpace()
                index += 1
                continue
            }
            try expect("]", "',' or ']'")
            return
        }
    }

    /// A string literal, quotes included; `i` ends after its closing quote.
    private mutating func string() throws -> ArraySlice<UInt8> {
        let start = i
        i += 1
        while let c = current {
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return bytes[start..<i]
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = current else { break }
                if e == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        i += 1
                        guard let h = current, h.isHexDigit else { throw error("expected four hex digits after \\u") }
                    }
                } else if !"\"\\/bfnrt".utf8.contains(e) {
                    throw error("unknown escape in a string")
                }
                i += 1
            case 0..<0x20:
                throw error("a control character (a line break?) inside a string")
            default:
                i += 1
            }
        }
        throw error("a string without its closing quote")
    }

    private mutating func digits() throws {
        guard let c = current, c.isDigit else { throw error("expected a digit") }
        while let c = current, c.isDigit { i += 1 }
    }

    private mutating func number() throws {
        if current == UInt8(ascii: "-") { i += 1 }
        if current == UInt8(ascii: "0") { i += 1 } else { try digits() }
        if current == UInt8(ascii: ".") {
            i += 1
            try digits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            try digits()
        }
    }

    private mutating func literal(_ word: String) throws {
        for expected in word.utf8 {
            guard current == expected else { throw error("expected \(word)") }
            i += 1
        }
    }
}

private extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isHexDigit: Bool {
        isDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
}
