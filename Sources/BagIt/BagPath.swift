/// Paths inside a bag: checked before anything is written, and encoded for manifest lines.
enum BagPath {
    /// The files the builder writes itself; a tag file may not take these names.
    static let reserved: Set<String> = ["bagit.txt", "bag-info.txt", "fetch.txt"]

    /// Checks a path relative to the bag's top-level folder: `/`-separated, relative, with no empty,
    /// `.` or `..` component, no backslash (a separator to some unzip tools) and no NUL.
    static func check(_ path: String) throws {
        func refuse(_ reason: String) -> BagError { .invalidPath(path, reason: reason) }
        if path.isEmpty { throw refuse("it is empty") }
        if path.utf8.first == UInt8(ascii: "/") { throw refuse("it is absolute; give it relative to the bag's folder") }
        if path.unicodeScalars.contains("\\") { throw refuse("it contains a backslash; separate folders with /") }
        if path.unicodeScalars.contains("\0") { throw refuse("it contains a NUL character") }
        for component in components(path) {
            if component.isEmpty { throw refuse("it has an empty component (// or a trailing /)") }
            if component == "." || component == ".." { throw refuse("it has a \(component) component") }
        }
    }

    /// The path split at every `/` scalar, as a file system or unzip splits it. (Splitting the String
    /// itself would miss a `/` that a combining mark after it joins into one Character.)
    static func components(_ path: String) -> [String] {
        path.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false).map { String($0) }
    }

    /// Whether the path's first component is `data`.
    static func isUnderData(_ path: String) -> Bool {
        components(path).first == "data" && components(path).count > 1
    }

    /// Checks a payload path: valid and under `data/`.
    static func checkPayload(_ path: String) throws {
        try check(path)
        guard isUnderData(path) else {
            throw BagError.misplacedPath(path, reason: "payload files go under data/")
        }
    }

    /// Checks a tag file path: valid, outside `data/`, and none of the files the builder writes
    /// (bagit.txt, bag-info.txt, fetch.txt, any top-level manifest-*.txt or tagmanifest-*.txt).
    static func checkTag(_ path: String) throws {
        try check(path)
        if components(path).first == "data" {
            throw BagError.misplacedPath(path, reason: "tag files go outside data/ (that is the payload)")
        }
        let topLevel = components(path).count == 1
        if topLevel && (reserved.contains(path) || isManifestName(path)) {
            throw BagError.misplacedPath(path, reason: "the bag builder writes this file itself")
        }
    }

    private static func isManifestName(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return (scalars.starts(with: "manifest-".unicodeScalars) || scalars.starts(with: "tagmanifest-".unicodeScalars))
            && scalars.reversed().starts(with: "txt.".unicodeScalars)
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
