import Ledger

/// The small JSON the bundle's tag files hold (`bundle.json`, provenance): one object, members sorted
/// by name (byte order; every name is ASCII), no white space, strings escaped as the ledger's leaves
/// are (RFC 8785: `"` `\` and control characters only, so `/` and non-ASCII stay), then a line feed.
enum BundleJSON {
    indirect enum Value {
        case string(String)
        case integer(Int64)
        case null
        case array([Value])
        case object([String: Value])
    }

    static func file(_ members: [String: Value]) -> [UInt8] {
        var out = [UInt8]()
        write(.object(members), into: &out)
        out.append(0x0A)
        return out
    }

    static func optional(_ s: String?) -> Value { s.map(Value.string) ?? .null }

    private static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .string(let s): CanonicalJSON.writeString(s, into: &out)
        case .integer(let n): out.append(contentsOf: String(n).utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                CanonicalJSON.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
