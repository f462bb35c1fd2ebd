import CustodyCore
import Foundation

/// `custody.conf`: `name = value` lines, `#` comments and blank lines; each name is one of a command's
/// long options (`listen = 0.0.0.0:8443`). Values it gives fill the options the command line did not
/// give; an error about one names the file and line.
struct ConfigFile {
    static let defaultPath = "/etc/custody/custody.conf"
    static let maxSize = 64 * 1024

    let path: String

    /// `custody serve`'s configuration file for `args`: `--config FILE`, else the default file when it
    /// exists; nil when there is none. Its names are serve's options (`doctor` reads the same file).
    static func forServe(_ args: Arguments) throws -> ConfigFile? {
        let path = args.value("config") ?? (FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil)
        let names = Set(ServeCommand.options.map(\.name)).subtracting(["config", "check-config", "json"])
        return try path.map { try ConfigFile(path: $0, accepting: names) }
    }
    /// The value and line number of each name given.
    private(set) var entries: [String: (value: String, line: Int)] = [:]

    /// Reads and parses `path`; an unknown name, a repeated one or a line that is no `name = value` is
    /// refused, naming the line. `accepting`: the names allowed.
    init(path: String, accepting names: Set<String>) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CustodyError.notFound(.file, "cannot read the configuration file \(path)")
        }
        guard data.count <= Self.maxSize, let text = String(data: data, encoding: .utf8) else {
            throw CustodyError.invalidInput(field: "--config",
                                            "\(path) is not a UTF-8 text file of at most \(Self.maxSize / 1024) KiB")
        }
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw error(number, "expected `name = value`, not \(line.prefix(80))")
            }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard names.contains(name) else {
                throw error(number, "unknown setting \(name.prefix(64)); settings: "
                            + names.sorted().joined(separator: ", "))
            }
            if let first = entries[name] { throw error(number, "\(name) is already set on line \(first.line)") }
            guard !value.isEmpty, !value.altersDisplay else { throw error(number, "\(name) needs a value") }
            entries[name] = (value, number)
        }
    }

    func error(_ line: Int, _ message: String) -> CustodyError {
        .invalidInput(field: "--config", "\(path) line \(line): \(message)")
    }

    /// `error`, as it would be said of the line that set `field` (`--transfer-jobs`): the message names
    /// the setting and its line instead of the option. Nil when the command line, not this file, gave it.
    func blame(_ error: CustodyError, given commandLine: Arguments) -> CustodyError? {
        guard let field = error.field, field.hasPrefix("--") else { return nil }
        let name = String(field.dropFirst(2))
        guard let entry = entries[name], commandLine.value(name) == nil else { return nil }
        return self.error(entry.line, error.message.replacingOccurrences(of: "--\(name)", with: name))
    }
}

extension Arguments {
    /// These arguments with `--data` from `$CUSTODY_DATA` when they give none (it comes before a
    /// configuration file), and whether it was taken from there.
    func withEnvironmentData() -> (Arguments, fromEnvironment: Bool) {
        guard value("data") == nil, let data = Context.environment["CUSTODY_DATA"] else { return (self, false) }
        var given = self
        given.setValue("data", data)
        return (given, true)
    }

    /// These arguments, with the values of `config` for the options they do not give.
    func filling(from config: ConfigFile?) -> Arguments {
        guard let config else { return self }
        var filled = self
        for (name, entry) in config.entries where filled.value(name) == nil {
            filled.setValue(name, entry.value)
        }
        return filled
    }
}
