/// Step 2: the bag (RFC 8493) with the SHA-256 of every file from step 1.
extension BundleVerifier {
    static let payloadManifest = "manifest-sha256.txt"
    static let tagManifest = "tagmanifest-sha256.txt"
    static let bagInfo = "bag-info.txt"

    func checkBag() throws {
        let declaration = try BagText.fields(try contents("bagit.txt", step: .bagit), file: "bagit.txt")
        let fields = Dictionary(declaration, uniquingKeysWith: { a, _ in a })
        guard ["1.0", "0.97"].contains(fields["BagIt-Version"] ?? ""),
              fields["Tag-File-Character-Encoding"]?.uppercased() == "UTF-8" else {
            throw BundleFailure(.bagit, "bagit.txt does not declare BagIt 1.0 in UTF-8", entry: "bagit.txt")
        }
// The tag manifest first: a changed payload manifest is then named as itself.
        let tags = try checkManifest(Self.tagManifest, limit: Self.maxTagBytes) {
            !$0.hasPrefix("data/") && $0 != Self.tagManifest && $0 != BundleLayout.signature
        }
        for path in files.keys where !path.hasPrefix("data/") && path != Self.tagManifest
            && path != BundleLayout.signature && !tags.contains(path) {
            throw BundleFailure(.bagit, "tag file \(path) is not in \(Self.tagManifest)", entry: path)
        }
        let payload = try checkManifest(Self.payloadManifest, limit: Self.maxTagBytes) { $0.hasPrefix("data/") }
        for path in files.keys where path.hasPrefix("data/") && !payload.contains(path) {
            throw BundleFailure(.bagit, "\(path) is in the payload but not in \(Self.payloadManifest)", entry: path)
        }
        try checkOxum(payload)
        report.checked["payload_files"] = payload.count
        report.checked["tag_files"] = tags.count
    }

    /// Checks every line of a manifest against the files' SHA-256; returns the paths it lists.
    private func checkManifest(_ name: String, limit: Int, allowed: (String) -> Bool) throws -> Set<String> {
        var listed = Set<String>()
        for (path, hex) in try BagText.manifest(try contents(name, limit: limit, step: .bagit), file: name) {
            guard allowed(path) else { throw BundleFailure(.bagit, "\(name) may not list \(path)", entry: name) }
            guard let digest = digests[path] else {
                throw BundleFailure(.bagit, "\(path), listed in \(name), is missing", entry: path)
            }
            guard digest.hex == hex else {
                throw BundleFailure(.bagit, "the SHA-256 of \(path) is not the one \(name) lists", entry: path)
            }
            listed.insert(path)
        }
        return listed
    }

    /// `Payload-Oxum: <octets>.<files>` of bag-info.txt against the payload.
    private func checkOxum(_ payload: Set<String>) throws {
        let info = try BagText.fields(try contents(Self.bagInfo, step: .bagit), file: Self.bagInfo)
        guard let oxum = info.first(where: { $0.label == "Payload-Oxum" })?.value else {
            throw BundleFailure(.bagit, "bag-info.txt has no Payload-Oxum", entry: Self.bagInfo)
        }
        let octets = payload.reduce(UInt64(0)) { $0 + files[$1]!.size }
        guard oxum == "\(octets).\(payload.count)" else {
            throw BundleFailure(.bagit, "bag-info.txt's Payload-Oxum \(oxum) is not the payload's \(octets)."
                                + "\(payload.count)", entry: Self.bagInfo)
        }
    }
}
