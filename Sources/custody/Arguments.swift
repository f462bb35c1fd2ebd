import CustodyCore

/// One accepted option of a command: `--name VALUE` (or `--name=VALUE`), or a bare `--name` flag.
struct OptionSpec {
    let name: String
    /// Placeholder for the value in help text; nil for a flag.
    let value: String?
    let help: String
    let repeatable: Bool

    static func option(_ name: String, _ value: String, _ help: String, repeatable: Bool = false) -> OptionSpec {
        OptionSpec(name: name, value: value, help: help, repeatable: repeatable)
    }
    static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, value: nil, help: help, repeatable: false)
    }

    static let data = option("data", "DIR", "data directory (default $CUSTODY_DATA, then ./var/custody)")
    static let actor = option("as", "ID", "acting officer (default $CUSTODY_ACTOR)")
    static let json = flag("json", "print JSON for scripts")
}

/// Parsed command-line arguments, checked against a command's `OptionSpec`s.
struct Arguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []
    private(set) var wantsHelp = false

    /// Limits that keep a hostile argv from doing anything surprising.
    static let maxArgumentLength = 64 * 1024

    init(_ argv: [String], accepting specs: [OptionSpec]) throws {
        let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var i = 0
        var onlyPositionals = false
        while i < argv.count {
            let arg = argv[i]
            i += 1
            guard arg.utf8.count <= Self.maxArgumentLength else {
                throw CustodyError.invalidInput(field: "arguments",
                                                "an argument is longer than \(Self.maxArgumentLength) bytes")
            }
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            if arg == "-h" || arg == "--help" { wantsHelp = true; continue }
            guard arg.hasPrefix("--") else { throw CustodyError.invalidInput(field: "arguments",
                "unknown option \(arg)") }
            var name = String(arg.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = byName[name] else { throw CustodyError.invalidInput(field: "--\(name)",
                "unknown option --\(name)") }
            if spec.value == nil {
                if inline != nil { throw CustodyError.invalidInput(field: "--\(name)", "--\(name) takes no value") }
                flags.insert(name)
                continue
            }
            let value: String
            if let inline { value = inline } else {
                guard i < argv.count else { throw CustodyError.invalidInput(field: "--\(name)",
                    "--\(name) needs a value (\(spec.value!))") }
                value = argv[i]
                i += 1
            }
            if values[name] != nil && !spec.repeatable { throw CustodyError.invalidInput(field: "--\(name)",
                "--\(name) given twice") }
            values[name, default: []].append(value)
        }
    }

    /// Only `--data` and `--as` of a command line that did not parse, so that its refusal is still
    /// recorded in the vault it named, against the officer it named.
    init(salvaging argv: [String]) {
        for (i, arg) in argv.prefix(while: { $0 != "--" }).enumerated() {
            for name in ["data", "as"] {
                if arg == "--\(name)", i + 1 < argv.count {
                    values[name] = [argv[i + 1]]
                } else if arg.hasPrefix("--\(name)=") {
                    values[name] = [String(arg.dropFirst(name.count + 3))]
                }
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The value of `--name` as an integer within `range`.
    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw CustodyError.invalidInput(field: "--\(name)",
                "--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// The required `--reason` of an access recorded in the ledger (`what`: "export", "redaction"),
    /// non-blank and at most 1000 bytes.
    func reason(for what: String) throws -> String {
        guard let reason = value("reason"), !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CustodyError.invalidInput(field: "--reason",
                                            "missing --reason TEXT: every \(what) is recorded with its reason")
        }
        guard reason.utf8.count <= 1000 else { throw CustodyError.invalidInput(field: "--reason",
            "--reason is longer than 1000 bytes") }
        return reason
    }

    /// The value of `--name`, which must be given (`placeholder` names it in the error: TEXT, ROLE).
    func required(_ name: String, _ placeholder: String) throws -> String {
        guard let value = value(name) else {
            throw CustodyError.invalidInput(field: "--\(name)", "missing --\(name) \(placeholder)")
        }
        return value
    }

    /// Exactly `count` positional arguments, named in the error when missing.
    func positionals(exactly names: [String]) throws -> [String] {
        guard positionals.count == names.count else {
            let expected = names.map { "<\($0)>" }.joined(separator: " ")
            throw CustodyError.invalidInput(field: "arguments", positionals.count < names.count
                ? "missing \(expected.isEmpty ? "argument" : expected)"
                : "unexpected argument \(positionals[names.count])")
        }
        return positionals
    }
}
