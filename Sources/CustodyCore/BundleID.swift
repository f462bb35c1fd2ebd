/// A court bundle's ID: `BN-` and at least six digits (`BN-000001`), numbered like exhibits. The
/// transfer job that makes a bundle has the same ID.
public enum BundleID {
    public static let prefix = "BN-"

    public static func make(number: Int64) -> String {
        let digits = String(number)
        return prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The number of a bundle ID, or nil when `id` is none (`BN-` and 6-18 digits).
    public static func number(of id: String) -> Int64? {
        guard id.hasPrefix(prefix) else { return nil }
        let digits = id.dropFirst(prefix.count)
        guard (6...18).contains(digits.count), digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int64(digits)
    }
}
