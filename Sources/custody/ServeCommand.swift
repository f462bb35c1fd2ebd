import CustodyCore
import Foundation
import POSIX
import Service
import Vault

struct ServeCommand: Command {
    static let name = "serve"
    static let summary = "Run the evidence service: tus uploads from docks at /files/, /healthz, /metrics, "
        + "and ledger checkpoints at most a second after any event."
    static let usage = """
        serve [--listen HOST:PORT] [--public-url URL] [--tls-cert FILE --tls-key FILE]
              [--max-connections-per-peer N] [--max-upload-size SIZE] [--upload-expiry DURATION]
              [--transfer-jobs N] [--transfer-priority P] [--remote-redaction on|off] [--redaction-lease SECONDS]
              [--data DIR] [--config FILE] [--check-config]

        Listens on 127.0.0.1:8080 unless told otherwise (port 0 picks a free port; the `listening` log
        line says which). With --tls-cert and --tls-key it speaks HTTPS only (TLS 1.2 or newer); the key
        file must be mode 0600 or stricter; SIGHUP loads both files again for new connections (a renewed
        certificate; if the new files are refused, the old certificate stays and the log says why).
        It also builds court bundles (`custody bundle create` queues them), one at a time unless
        --transfer-jobs says otherwise, at idle CPU priority (--transfer-priority: see `custody worker`).
        With --remote-redaction on, it leaves bundles' redactions to remote workers (`custody worker
        --server`), each leased for --redaction-lease seconds (default 60) and renewed while it runs, and
        only writes the ZIPs (README, Remote redaction workers).
        Logs are JSON lines on stderr. SIGTERM or SIGINT stops it gracefully: requests in flight finish, a
        bundle being built is given back to the queue, then a last checkpoint is signed. It serves 64 requests at once (more wait in a queue of
        256) and keeps up to 4096 connections open: one still sending its request head, or idle, takes no
        worker.
        Listening on an address other than loopback, at most 32 connections from one address (behind a
        proxy or a NAT address shared by many docks, raise it: --max-connections-per-peer 64).
        Settings come from the command line, then $CUSTODY_DATA (the data directory), then the
        configuration file (--config FILE, else /etc/custody/custody.conf if it exists: `name = value`
        lines naming these options, e.g. `transfer-jobs = 2`; Deploy/custody.conf documents each), then
        the defaults. A bad value stops start-up, naming the file and line. --check-config checks
        everything (the data directory, the TLS files) and prints the settings in effect, then exits.
        """
    static let options: [OptionSpec] = [
        .option("listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080)"),
        .option("public-url", "URL", "the URL clients reach the service at, if not http(s)://HOST:PORT"),
        .option("tls-cert", "FILE", "serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key"),
        .option("tls-key", "FILE", "the certificate's unencrypted PEM private key, mode 0600; needs --tls-cert"),
        .option("max-connections-per-peer", "N",
                "open connections from one address, 1-64 (default 32; 64 on loopback, all one address)"),
        .option("max-upload-size", "SIZE", "largest recording a dock may upload, e.g. 64G (default), 500M"),
        .option("upload-expiry", "DURATION", "an unfinished upload idle this long expires: 7d (default), 36h, 90m"),
        .option("transfer-jobs", "N", "court bundles built at once, 0-8 (default 1; 0: `custody worker` builds them)"),
        .option("transfer-priority", "P", "CPU priority of bundle jobs: idle (default), normal, or a nice value 1-19"),
        .option("remote-redaction", "on|off", "leave bundles' redactions to remote workers (default off)"),
        .option("redaction-lease", "SECONDS", "a remote worker's lease on a redaction, 2-3600 (default 60)"),
        .data,
        .option("config", "FILE", "configuration file (default /etc/custody/custody.conf when it exists)"),
        .flag("check-config", "check the settings, print those in effect, and exit (0 when all are good)"),
        .json,
    ]

    let args: Arguments
    let host: String
    let port: UInt16
    let tls: TLSFiles?
    let perPeer: Int
    let transferJobs: Int
    let transferPriority: CPUPriority
    let remoteRedaction: Bool
    let redactionLease: Int64
    let maxUploadBytes: Int64
    let uploadTTL: Int64
    /// Where each setting in effect came from.
    let config: ConfigFile?
    let commandLine: Arguments
    let dataFromEnvironment: Bool

    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
        let (commandLine, dataFromEnvironment) = args.withEnvironmentData()
        let config = try ConfigFile.forServe(args)
        do {
            try self.init(parsing: commandLine.filling(from: config), config: config, commandLine: commandLine,
                          dataFromEnvironment: dataFromEnvironment)
        } catch let e as CustodyError {
            throw config?.blame(e, given: commandLine) ?? e
        }
    }

    private init(parsing args: Arguments, config: ConfigFile?, commandLine: Arguments,
                 dataFromEnvironment: Bool) throws {
        self.config = config
        self.commandLine = commandLine
        self.dataFromEnvironment = dataFromEnvironment
        (host, port) = try Self.parseListen(args.value("listen") ?? "127.0.0.1:8080")
        if let url = args.value("public-url") { _ = try Vault.checkedPublicURL(url, field: "--public-url") }
        switch (args.value("tls-cert"), args.value("tls-key")) {
        case (let cert?, let key?): tls = TLSFiles(certificateFile: cert, privateKeyFile: key)
        case (nil, nil): tls = nil
        case (_?, nil): throw CustodyError.invalidInput(field: "--tls-cert",
                                                        "--tls-cert needs --tls-key (the certificate's private key)")
        case (nil, _?): throw CustodyError.invalidInput(field: "--tls-key",
            "--tls-key needs --tls-cert (the certificate chain it belongs to)")
        }
        let perPeer = args.value("max-connections-per-peer") ?? (host.hasPrefix("127.") ? "64" : "32")
        guard let n = Int(perPeer), (1...64).contains(n) else {
            throw CustodyError.invalidInput(field: "--max-connections-per-peer",
                                            "--max-connections-per-peer must be 1-64, not \(perPeer.prefix(100))")
        }
        self.perPeer = n
        transferJobs = try args.int("transfer-jobs", in: 0...8) ?? 1
        transferPriority = try WorkerCommand.priority(args, "transfer-priority")
        switch args.value("remote-redaction") ?? "off" {
        case "on": remoteRedaction = true
        case "off": remoteRedaction = false
        case let other: throw CustodyError.invalidInput(field: "--remote-redaction",
                                                        "--remote-redaction must be on or off, not \(other.prefix(40))")
        }
        redactionLease = Int64(try args.int("redaction-lease", in: 2...3600) ?? 60)
        maxUploadBytes = try args.value("max-upload-size").map { try Self.size($0, field: "max-upload-size") }
            ?? 64 << 30
        uploadTTL = try args.value("upload-expiry").map {
            try BundleCreateCommand.duration($0, field: "upload-expiry", atLeast: 60)
        } ?? 7 * 86_400
        self.args = args
    }

    /// `64G`, `500M`, `1T` or a number of bytes, from 1 MiB to 16 TiB.
    static func size(_ text: String, field: String) throws -> Int64 {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        let unit = text.last.flatMap { units[$0] }
        let number = Int64(unit == nil ? text : String(text.dropLast()))
        guard let number, number > 0, number <= (16 << 40) / (unit ?? 1),
              (1 << 20)...(16 << 40) ~= number * (unit ?? 1) else {
            throw CustodyError.invalidInput(field: "--\(field)", "--\(field) must be a size from 1M to 16T "
                                            + "(64G, 500M or bytes), not \(text.prefix(40))")
        }
        return number * (unit ?? 1)
    }

    /// `HOST:PORT` with an IPv4 address or `localhost`; the port 0-65535.
    static func parseListen(_ text: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw CustodyError.invalidInput(field: "--listen",
                                            "--listen must be HOST:PORT, e.g. 127.0.0.1:8080, not \(text.prefix(100))")
        }
        var host = String(text[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw CustodyError.invalidInput(field: "--listen",
                                            "--listen needs an IPv4 address (or localhost), not \(host.prefix(100))")
        }
        return (host, port)
    }

    func run() throws -> Int32 {
        var configuration = ServiceConfiguration(directory: Context.directory(args), host: host, port: port,
                                                 publicURL: args.value("public-url"), tls: tls)
        configuration.maxConnectionsPerPeer = perPeer
        configuration.transferJobs = transferJobs
        configuration.transferPriority = transferPriority
        configuration.remoteRedaction = remoteRedaction
        configuration.redactionLeaseSeconds = redactionLease
        configuration.maxUploadBytes = maxUploadBytes
        configuration.uploadTTL = uploadTTL
        configuration.executable = "/proc/self/exe"  // API command lines run in this very binary
        let service = try CustodyService(configuration: configuration)
        if args.flag("check-config") { return try checked() }
        let signals = service.stopOnSignals()
        let hangup = service.reloadOnHangup()
        try service.start()
        service.waitUntilStopped()
        withExtendedLifetime((signals, hangup)) {}
        return 0
    }

    /// `36h` for 129600: the largest unit that divides it.
    static func durationText(_ seconds: Int64) -> String {
        seconds % 86_400 == 0 ? "\(seconds / 86_400)d" : seconds % 3600 == 0 ? "\(seconds / 3600)h" : "\(seconds / 60)m"
    }

    /// `--check-config`: every setting valid, the data directory a vault, the TLS files loaded (the
    /// service was made from them); prints each setting in effect and where it came from.
    private func checked() throws -> Int32 {
        let effective: [(String, String)] = [
            ("data", Context.directory(args).root), ("listen", "\(host):\(port)"),
            ("public-url", args.value("public-url") ?? "(http(s)://listen address)"),
            ("tls-cert", tls?.certificateFile ?? "(none: plain HTTP)"), ("tls-key", tls?.privateKeyFile ?? "(none)"),
            ("max-connections-per-peer", "\(perPeer)"), ("max-upload-size", Format.bytes(maxUploadBytes)),
            ("upload-expiry", Self.durationText(uploadTTL)), ("transfer-jobs", "\(transferJobs)"),
            ("transfer-priority", transferPriority.description),
            ("remote-redaction", remoteRedaction ? "on" : "off"), ("redaction-lease", "\(redactionLease)"),
        ]
        let rows = effective.map { name, value -> [String] in
            if commandLine.value(name) != nil {
                return [name, value, name == "data" && dataFromEnvironment ? "$CUSTODY_DATA" : "command line"]
            }
            if let line = config?.entries[name]?.line, let path = config?.path {
                return [name, value, "\(path) line \(line)"]
            }
            return [name, value, "default"]
        }
        if args.flag("json") {
            Output.json(["ok": true, "config": config?.path as Any,
                         "settings": Dictionary(uniqueKeysWithValues: rows.map {
                             ($0[0], ["value": $0[1], "from": $0[2]])
                         })])
        } else {
            print("The configuration is good\(config.map { " (\($0.path))" } ?? " (no configuration file)"):")
            print(Output.table(rows.map { ["", "\($0[0]) = \($0[1])", $0[2]] }), terminator: "")
        }
        return 0
    }
}
