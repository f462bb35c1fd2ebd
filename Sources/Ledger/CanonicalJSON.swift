/// RFC 8785 (JSON Canonicalization Scheme) output for the small set of values custody events hold:
/// objects with keys sorted by UTF-16 code units, no insignificant whitespace, strings escaped with
/// the short escapes for \b \t \n \f \r and `\u00xx` (lower-case) for other control characters.
public enum CanonicalJSON {
    public indirect enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case object([String: Value])
    }

    public static func encode(_ value: Value) -> [UInt8] {
        var out = [UInt8]()
        write(value, into: &out)
        return out
    }

    private static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .string(let s): writeString(s, into: &out)
        case .integer(let n): out.append(contentsOf: String(n).utf8)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xf)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension CustodyEvent {
    /// The canonical bytes of this event: the Merkle leaf. Absent optional fields are omitted.
    public var leafBytes: [UInt8] {
        var o: [String: CanonicalJSON.Value] = [
            "seq": .integer(seq),
            "time": .string(time),
            "actor": .string(actor.id),
            "actor_kind": .string(actor.kind.rawValue),
            "action": .string(action.rawValue),
            "outcome": .string(outcome.rawValue),
            "details": .object(details.mapValues { .string($0) }),
        ]
        if let exhibit { o["exhibit"] = .string(exhibit) }
        if let caseID { o["case"] = .string(caseID) }
        if let objectSHA256 { o["object_sha256"] = .string(objectSHA256) }
        if let reason { o["reason"] = .string(reason) }
        return CanonicalJSON.encode(.object(o))
    }
}
