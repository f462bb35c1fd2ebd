/// The fields of `bag-info.txt`, checked so that every reader gets back exactly what was given.
public struct BagInfoField: Equatable, Sendable {
    public let label: String
    public let value: String

    public init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }
}

enum BagInfo {
    /// Labels the builder computes; a caller may not give them.
    static let computed: Set<String> = ["payload-oxum", "bag-size"]

    /// Checks one field (RFC 8493 §2.2.2). The label: not empty, no colon, no leading or trailing
    /// white space, no control character. The value: not empty, no leading or trailing white space, no
    /// control character but tab, and a line feed only where the value is folded (followed by a space
    /// or tab that starts the continuation line, whose own text is not blank); no CR anywhere.
    static func check(_ field: BagInfoField) throws {
        let label = field.label, value = field.value
        func refuse(_ reason: String) -> BagError { .invalidBagInfo(label: label, reason: reason) }
        if label.isEmpty { throw refuse("the label is empty") }
        if label.contains(":") { throw refuse("the label contains a colon") }
        if hasOuterWhitespace(label) { throw refuse("the label starts or ends with white space") }
        if label.unicodeScalars.contains(where: isControl) { throw refuse("the label contains a control character") }
        if computed.contains(label.lowercased()) { throw refuse("the bag builder computes this field") }
        if value.isEmpty { throw refuse("the value is empty") }
        if hasOuterWhitespace(value) { throw refuse("the value starts or ends with white space") }
        let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if line.unicodeScalars.contains(where: { $0 != "\t" && isControl($0) }) {
                throw refuse("the value contains a control character (CR, or other than tab and folded LF)")
            }
            guard index > 0 else { continue }
            guard let first = line.unicodeScalars.first, first == " " || first == "\t" else {
                throw refuse("a line feed in the value must be followed by a space or tab (RFC 8493 folding)")
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                throw refuse("a folded continuation line is blank")
            }
        }
    }

    /// `label: value` lines, the given fields in order, then Payload-Oxum and Bag-Size.
    static func render(_ fields: [BagInfoField], payloadOctets: UInt64, payloadCount: Int) -> String {
        var text = ""
        for field in fields { text += "\(field.label): \(field.value)\n" }
        text += "Payload-Oxum: \(payloadOctets).\(payloadCount)\n"
        text += "Bag-Size: \(bagSize(payloadOctets))\n"
        return text
    }

    /// A size in decimal units as RFC 8493 §2.2.2 shows it ("42.6 GB"): bytes below 1000 as
    /// "512 B", above with one decimal in the smallest unit that keeps the number under 1000 (up to TB).
    static func bagSize(_ octets: UInt64) -> String {
        if octets < 1000 { return "\(octets) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var scale: UInt64 = 1000
        for (index, unit) in units.enumerated() {
            // One decimal, rounded half up in integer arithmetic; a unit up when it rounds to 1000.
            let tenths = (octets / scale) * 10 + ((octets % scale) * 10 + scale / 2) / scale
            if tenths < 10_000 || index == units.count - 1 { return "\(tenths / 10).\(tenths % 10) \(unit)" }
            scale *= 1000
        }
        fatalError("unreachable: the last unit returns")
    }

    private static func hasOuterWhitespace(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last else { return false }
        return first.isWhitespace || last.isWhitespace
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }
}
