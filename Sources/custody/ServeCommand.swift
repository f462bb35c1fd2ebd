import CustodyCore
import Foundation
import Service
import Vault

struct ServeCommand: Command {
    static let name = "serve"
    static let summary = "Run the evidence service: tus uploads from docks at /files/, /healthz, /metrics, "
        + "and ledger checkpoints at most a second after any event."
    static let usage = """
        serve [--listen HOST:PORT] [--public-url URL] [--tls-cert FILE --tls-key FILE]
              [--max-connections-per-peer N] [--transfer-jobs N] [--data DIR]

        Listens on 127.0.0.1:8080 unless told otherwise (port 0 picks a free port; the `listening` log
        line says which). With --tls-cert and --tls-key it speaks HTTPS only (TLS 1.2 or newer); the key
        file must be mode 0600 or stricter; SIGHUP loads both files again for new connections (a renewed
        certificate; if the new files are refused, the old certificate stays and the log says why).
        It also builds court bundles (`custody bundle create` queues them), one at a time unless
        --transfer-jobs says otherwise, at low CPU priority. Logs are JSON lines on stderr. SIGTERM or
        SIGINT stops it gracefully: requests in flight finish, a bundle being built is given back to the
        queue, then a last checkpoint is signed. It serves 64 requests at once (more wait in a queue of
        256) and keeps up to 4096 connections open: one still sending its request head, or idle, takes no
        worker.
        Listening on an address other than loopback, at most 32 connections from one address (behind a
        proxy or a NAT address shared by many docks, raise it: --max-connections-per-peer 64).
        """
    static let options: [OptionSpec] = [
        .option("listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080)"),
        .option("public-url", "URL", "the URL clients reach the service at, if not http(s)://HOST:PORT"),
        .option("tls-cert", "FILE", "serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key"),
        .option("tls-key", "FILE", "the certificate's unencrypted PEM private key, mode 0600; needs --tls-cert"),
        .option("max-connections-per-peer", "N",
                "open connections from one address, 1-64 (default 32; 64 on loopback, all one address)"),
        .option("transfer-jobs", "N", "court bundles built at once, 0-8 (default 1; 0: `custody worker` builds them)"),
        .data,
    ]

    let args: Arguments
    let host: String
    let port: UInt16
    let tls: TLSFiles?
    let perPeer: Int
    let transferJobs: Int

    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
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
        self.args = args
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
        configuration.executable = "/proc/self/exe"  // API command lines run in this very binary
        let service = try CustodyService(configuration: configuration)
        let signals = service.stopOnSignals()
        let hangup = service.reloadOnHangup()
        try service.start()
        service.waitUntilStopped()
        withExtendedLifetime((signals, hangup)) {}
        return 0
    }
}
