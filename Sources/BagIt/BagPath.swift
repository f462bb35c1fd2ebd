/// Paths inside a bag: checked before anything is written, and encoded for manifest lines.
enum BagPath {
    /// The files the builder writes itself; a tag file may not take these names.
    static let reserved: Set<String> = ["bagit.txt", "bag-info.txt", "fetch.txt"]

    /// Checks a path relative to the bag's top-level folder: `/`-separated, relative, with no empty,
    /// `.` or `..` component, no backslash (a separator to some unzip tools) and no NUL.
    static func check(_ path: String) throws {
        func refuse(_ reason: String) -> BagError { .invalidPath(path, reason: reason) }
        if path.isEmpty { throw refuse("it is empty") }
        if path.hasPrefix("/") { throw refuse("it is absolute; give it relative to the bag's folder") }
        if path.contains("\\") { throw refuse("it contains a backslash; separate folders with /") }
        if path.unicodeScalars.contains("\0") { throw refuse("it contains a NUL character") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { throw refuse("it has an empty component (// or a trailing /)") }
            if component == "." || component == ".." { throw refuse("it has a \(component) component") }
        }
    }

    /// Checks a payload path: valid and under `data/`.
    static func checkPayload(_ path: String) throws {
        try check(path)
        guard path.hasPrefix("data/") else {
            throw BagError.misplacedPath(path, reason: "payload files go under data/")
        }
    }

    /// Checks a tag file path: valid, outside `data/`, and none of the files the builder writes
    /// (bagit.txt, bag-info.txt, fetch.txt, any top-level manifest-*.txt or tagmanifest-*.txt).
    static func checkTag(_ path: String) throws {
        try check(path)
        if path == "data" || path.hasPrefix("data/") {
            throw BagError.misplacedPath(path, reason: "tag files go outside data/ (that is the payload)")
        }
        let topLevel = !path.contains("/")
        if topLevel && (reserved.contains(path) || isManifestName(path)) {
            throw BagError.misplacedPath(path, reason: "the bag builder writes this file itself")
        }
    }

    private static func isManifestName(_ name: String) -> Bool {
        (name.hasPrefix("manifest-") || name.hasPrefix("tagmanifest-")) && name.hasSuffix(".txt")
    }

    /// The path as a manifest line carries it (RFC 8493 §2.1.3): `%` as `%25`, CR as `%0D`,
    /// LF as `%0A`; every other character as it is (UTF-8).
    static func encode(_ path: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(path.unicodeScalars.count)
        for scalar in path.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
