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

    static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .string(let s): writeString(s, into: &out)
        case .integer(let n): out.append(contentsOf: String(n).utf8)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in sortedKeys(members).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Keys in RFC 8785 order: by UTF-16 code units (for ASCII, the same as by bytes).
    static func sortedKeys<V>(_ members: [String: V]) -> [String] {
        members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
    }

    /// An object whose values are all strings, e.g. an event's `details`.
    static func writeStringObject(_ members: [String: String], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, key) in sortedKeys(members).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            writeString(members[key]!, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A JSON string as RFC 8785 writes it: only `"`, `\` and control characters escaped.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Most strings need no escaping: copy them whole.
            guard bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) else {
                out.append(contentsOf: bytes)
                return
            }
            for c in bytes { appendEscaped(c, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ c: UInt8, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
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
}

extension CustodyEvent {
    /// The canonical bytes of this event: the Merkle leaf. Absent optional fields are omitted.
    /// Members are written in RFC 8785 order directly (the names are fixed ASCII, so their order is
    /// known): action, actor, actor_kind, case, details, exhibit, object_sha256, outcome, reason, seq, time.
    public var leafBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(384)
        func member(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        out.append(UInt8(ascii: "{"))
        member("action", first: true); CanonicalJSON.writeString(action.rawValue, into: &out)
        member("actor"); CanonicalJSON.writeString(actor.id, into: &out)
        member("actor_kind"); CanonicalJSON.writeString(actor.kind.rawValue, into: &out)
        if let caseID { member("case"); CanonicalJSON.writeString(caseID, into: &out) }
        member("details"); CanonicalJSON.writeStringObject(details, into: &out)
        if let exhibit { member("exhibit"); CanonicalJSON.writeString(exhibit, into: &out) }
        if let objectSHA256 { member("object_sha256"); CanonicalJSON.writeString(objectSHA256, into: &out) }
        member("outcome"); CanonicalJSON.writeString(outcome.rawValue, into: &out)
        if let reason { member("reason"); CanonicalJSON.writeString(reason, into: &out) }
        member("seq"); out.append(contentsOf: String(seq).utf8)
        member("time"); CanonicalJSON.writeString(time, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The leaf built the general way (a dictionary through `CanonicalJSON.encode`); `leafBytes`
    /// must equal it, which a test checks.
    var leafBytesViaDictionary: [UInt8] {
        var o: [String: CanonicalJSON.Value] = [
            "seq": .integer(seq), "time": .string(time), "actor": .string(actor.id),
            "actor_kind": .string(actor.kind.rawValue), "action": .string(action.rawValue),
            "outcome": .string(outcome.rawValue), "details": .object(details.mapValues { .string($0) }),
        ]
        if let exhibit { o["exhibit"] = .string(exhibit) }
        if let caseID { o["case"] = .string(caseID) }
        if let objectSHA256 { o["object_sha256"] = .string(objectSHA256) }
        if let reason { o["reason"] = .string(reason) }
        return CanonicalJSON.encode(.object(o))
    }
}
