import CustodyCore
import Foundation
import HTTPServer
import Vault

/// Settings of `custody serve`.
public struct ServiceConfiguration: Sendable {
    public var directory: DataDirectory
    public var host: String
    public var port: UInt16
    /// The address clients reach the service at (behind a proxy it differs from host:port).
    public var publicURL: String?
    /// How far checkpoints may lag behind the newest event, in seconds.
    public var checkpointInterval: Double

    public init(directory: DataDirectory, host: String = "127.0.0.1", port: UInt16 = 8080, publicURL: String? = nil,
                checkpointInterval: Double = 1) {
        self.directory = directory
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.checkpointInterval = checkpointInterval
    }
}

/// The daemon: the HTTP server with custody's routes, and the checkpointer that signs the ledger at
/// most `checkpointInterval` behind its newest event.
public final class CustodyService: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let log: Log
    public let metrics: Metrics
    let server: HTTPServer
    let checkpointer: Checkpointer

    public init(configuration: ServiceConfiguration, log: Log = Log()) throws {
        _ = try Vault(directory: configuration.directory)  // refuses a directory `custody init` never made
        self.configuration = configuration
        self.log = log
        metrics = Metrics()
        Self.describeMetrics(metrics)
        let router = Router(directory: configuration.directory, metrics: metrics)
        server = HTTPServer(configuration: HTTPServerConfiguration(host: configuration.host, port: configuration.port),
                            handler: router, observer: RequestObserver(metrics: metrics, log: log))
        checkpointer = Checkpointer(directory: configuration.directory, interval: configuration.checkpointInterval,
                                    log: log, metrics: metrics)
    }

    /// Starts listening and checkpointing; returns the bound port.
    @discardableResult
    public func start() throws -> UInt16 {
        let port: UInt16
        do { port = try server.start() } catch {
            throw CustodyError.failure("cannot listen on \(configuration.host):\(configuration.port)", cause: error)
        }
        checkpointer.start()
        log.info("listening", ["host": configuration.host, "port": Int(port), "data": configuration.directory.root,
                               "public_url": configuration.publicURL ?? "http://\(configuration.host):\(port)"])
        return port
    }

    /// SIGTERM and SIGINT stop the service gracefully.
    public func stopOnSignals() -> HTTPServerSignalHandlers { server.installShutdownSignalHandlers() }

    /// Stops accepting, lets in-flight requests finish, then signs a last checkpoint.
    public func shutdown() { server.shutdown() }

    /// Blocks until the server has stopped, then stops the checkpointer (after a final checkpoint).
    public func waitUntilStopped() {
        server.waitUntilStopped()
        checkpointer.stop()
        log.info("stopped", [:])
    }

    static func describeMetrics(_ m: Metrics) {
        m.describe("custody_http_requests_total", type: "counter", "HTTP requests answered, by route and status.")
        m.describe("custody_http_request_seconds", type: "histogram", "Time from request head to response sent.")
        m.describe("custody_http_received_bytes_total", type: "counter", "Request body bytes received.")
        m.describe("custody_ledger_checkpoint_size", type: "gauge", "Events covered by the newest signed checkpoint.")
        m.describe("custody_ledger_checkpoint_failures_total", type: "counter", "Checkpoints that could not be signed.")
    }
}
