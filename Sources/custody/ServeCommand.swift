import CustodyCore
import Foundation
import Service

struct ServeCommand: Command {
    static let name = "serve"
    static let summary = "Run the evidence service: /healthz, /metrics, and ledger checkpoints every second."
    static let usage = """
        serve [--listen HOST:PORT] [--public-url URL] [--data DIR]

        Listens on 127.0.0.1:8080 unless told otherwise (port 0 picks a free port; the `listening` log
        line says which). Logs are JSON lines on stderr. SIGTERM or SIGINT stops it gracefully:
        requests in flight finish, then a last checkpoint is signed.
        """
    static let options: [OptionSpec] = [
        .option("listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080)"),
        .option("public-url", "URL", "the URL clients reach the service at, if not http://HOST:PORT"),
        .data,
    ]

    let args: Arguments
    let host: String
    let port: UInt16

    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
        (host, port) = try Self.parseListen(args.value("listen") ?? "127.0.0.1:8080")
        if let url = args.value("public-url") {
            guard url.utf8.count <= 2048, let parsed = URL(string: url),
                  ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw CustodyError.usage("--public-url must be an http(s) URL, not \(url.prefix(100))")
            }
        }
        self.args = args
    }

    /// `HOST:PORT` with an IPv4 address or `localhost`; the port 0-65535.
    static func parseListen(_ text: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw CustodyError.usage("--listen must be HOST:PORT, e.g. 127.0.0.1:8080, not \(text.prefix(100))")
        }
        var host = String(text[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw CustodyError.usage("--listen needs an IPv4 address (or localhost), not \(host.prefix(100))")
        }
        return (host, port)
    }

    func run() throws -> Int32 {
        let configuration = ServiceConfiguration(directory: Context.directory(args), host: host, port: port,
                                                 publicURL: args.value("public-url"))
        let service = try CustodyService(configuration: configuration)
        let signals = service.stopOnSignals()
        try service.start()
        service.waitUntilStopped()
        withExtendedLifetime(signals) {}
        return 0
    }
}
