import Crypto
import Media
import SQLite

/// `custody --version [--json]`: this program's version and the libraries it runs with, which decide
/// how recordings were hashed, probed, signed and redacted (a court may ask).
enum VersionCommand {
    static let version = "0.1.0"

    static func main(_ rest: [String]) -> Int32 {
        guard rest.isEmpty || rest == ["--json"] else {
            Commands.fail("--version takes only --json", exit: 2, json: rest.contains("--json"))
            return 2
        }
        var libraries = MediaLibraries.versions
        libraries["openssl"] = OpenSSLLibrary.version
        libraries["sqlite"] = Database.libraryVersion
        if rest == ["--json"] {
            Output.json(["custody": version, "libraries": libraries])
        } else {
            print("custody \(version)")
            print(Output.table(libraries.sorted { $0.key < $1.key }.map { ["", $0.key, $0.value] }), terminator: "")
        }
        return 0
    }
}
