import CustodyCore

/// An entry's name checked for what extractors trip over or could be tricked by: relative, `/`
/// between parts, no empty, `.` or `..` part, no backslash or NUL, at most 65,535 bytes of UTF-8.
/// A folder's name ends with `/`, a file's does not.
enum ZipEntryName {
    static func validated(_ name: String, folder: Bool) throws -> [UInt8] {
        let bytes = Array(name.utf8)
        func refuse(_ why: String) -> CustodyError {
            CustodyError.invalidInput(field: "name", "the ZIP entry name \"\(name)\" \(why)")
        }
        guard !bytes.isEmpty else { throw refuse("is empty") }
        guard bytes.count <= 0xFFFF else { throw refuse("is longer than 65,535 bytes") }
        guard !bytes.contains(0), !bytes.contains(UInt8(ascii: "\\")) else {
            throw refuse("holds a NUL or a backslash")
        }
        guard bytes.first != UInt8(ascii: "/") else { throw refuse("is absolute (starts with /)") }
        guard (bytes.last == UInt8(ascii: "/")) == folder else {
            throw refuse(folder ? "names a folder and must end with /" : "names a file and must not end with /")
        }
        let parts = (folder ? String(name.dropLast()) : name).split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw refuse("has an empty, . or .. part")
        }
        return bytes
    }
}
