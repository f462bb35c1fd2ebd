import CustodyCore

/// Where everything is inside a court bundle: the one description the writer (`Transfer`) and the
/// verifier share. A bundle is a BagIt 1.0 bag in one ZIP whose top folder is the bundle's ID; see the
/// README's *Court bundle format*.
public enum BundleLayout {
    /// The ZIP's name in `bundles/` and in a download.
    public static func zipName(_ id: String) -> String { id + ".zip" }  // id: see CustodyCore.BundleID

    // Paths relative to the bag's folder.
    public static let readme = "data/README.txt"
    public static let bundleInfo = "custody/bundle.json"
    public static let events = "custody/events.jsonl"
    public static let checkpoint = "custody/checkpoint"
    public static let publicKeyPEM = "custody/ledger-key.pem"
    public static let verifierKey = "custody/ledger-key.vkey"
    public static let signature = "custody/signature"

    public static func provenance(_ exhibit: String) -> String { "custody/exhibits/\(exhibit).json" }
    public static func spec(_ exhibit: String) -> String { "custody/exhibits/\(exhibit).spec.json" }
    public static func proof(seq: Int64) -> String { "custody/proofs/\(seq).tlog-proof" }

    /// A clip's path: `data/<exhibit id>_<original name>`, the name cut to characters every
    /// validator and file system takes (`A-Z a-z 0-9 . _ -`, others become `_`), at most 100 bytes.
    public static func clip(exhibit: String, filename: String?) -> String {
        var name = String((filename ?? "").unicodeScalars.map { c -> Character in
            let v = c.value
            let keep = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5a) || (v >= 0x61 && v <= 0x7a)
                || v == 0x2e || v == 0x5f || v == 0x2d
            return keep ? Character(c) : "_"
        }.prefix(100))
        if name.isEmpty || name.allSatisfy({ $0 == "." }) { name = "recording" }
        return "data/\(exhibit)_\(name)"
    }
}
