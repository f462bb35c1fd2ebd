import CustodyCore
import Foundation
import POSIX
import Storage
import HTTPServer
import Transfer
import Uploads
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
    /// Seconds an unfinished upload may sit without a byte before it expires (default 7 days).
    public var uploadTTL: Int64
    /// How often expired uploads are looked for.
    public var sweepInterval: Double
    /// How often a chunk store that could not be reached at start is asked again until it answers.
    public var storeCheckInterval: Double = 5
    /// The largest Upload-Length accepted.
    public var maxUploadBytes: Int64
    /// Serve HTTPS with this certificate and key; nil serves plain HTTP.
    public var tls: TLSFiles?
    /// Refused attempts without a valid token recorded one by one per window (the rest are
    /// counted and recorded in one event per window), and the window in seconds.
    public var refusalsRecordedPerWindow = 30
    public var refusalWindow: Double = 600
    /// Open connections from one peer address (of the 4096 the server keeps open).
    public var maxConnectionsPerPeer = 32
    /// What upload expiry, the sweeper, ingest retries and refusal windows read the time from.
    public var clock = CustodyClock.system
    /// Transfer jobs run at once by the service's worker (0: none; another process runs them).
    public var transferJobs = 1
    /// Leaves bundles' redactions to remote workers (`custody worker --server`): the service's own
    /// worker only writes the ZIPs of jobs whose redactions are made. Off: both lease them.
    public var remoteRedaction = false
    /// How long a remote worker's lease on a redaction lasts unless renewed.
    public var redactionLeaseSeconds: Int64 = 60
    /// How often the service looks whether retention is due; it runs once a day (`retentionEvery`,
    /// counted from the last run by anyone, so a restart neither skips nor repeats it).
    public var retentionCheckInterval: Double = 3_600
    public var retentionEvery: Int64 = 86_400
    /// Their CPU priority (by default idle: uploads keep their speed while a redaction runs).
    public var transferPriority = CPUPriority.idle
    /// The `custody` binary the API runs officers' command lines with (`custody serve`: its own); nil
    /// answers them 503.
    public var executable: String?
    /// API command lines run at once (more wait up to 30 s), and how long one may run: long enough for
    /// a redaction of a whole shift's recording.
    public var commandSlots = 4
    public var commandTimeLimit: Double = 6 * 3600

    public init(directory: DataDirectory, host: String = "127.0.0.1", port: UInt16 = 8080, publicURL: String? = nil,
                checkpointInterval: Double = 1, uploadTTL: Int64 = 7 * 86_400, sweepInterval: Double = 60,
                maxUploadBytes: Int64 = 64 << 30, tls: TLSFiles? = nil) {
        self.directory = directory
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.checkpointInterval = checkpointInterval
        self.uploadTTL = uploadTTL
        self.sweepInterval = sweepInterval
        self.maxUploadBytes = maxUploadBytes
        self.tls = tls
    }
}

/// The daemon: the HTTP server with custody's routes, and the checkpointer that signs the ledger at
/// most `checkpointInterval` behind its newest event.
public final class CustodyService: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let log: Log
    public let metrics: Metrics
    let server: HTTPServer
    let tls: TLSTransportSecurity?
    let checkpointer: PeriodicTask
    let sweeper: PeriodicTask
    /// Removes lapsed bundles' ZIPs and records the download links' refusal summaries.
    let bundleSweeper: PeriodicTask
    /// Runs retention daily as custody itself (`Vault.runRetentionIfDue`).
    let retention: PeriodicTask
    let tus: TusHandler
    /// Asks an S3 store that could not be reached at start until it answers.
    let storeWatch: StoreWatch
    /// Builds court bundles (queued by `custody bundle create`), at idle CPU priority, one job at a time
    /// by default.
    let transfer: TransferWorker
    let bundles: BundleHandler
    let api: APIHandler

    public init(configuration: ServiceConfiguration, log: Log = Log()) throws {
        // Refuses a directory `custody init` never made, and a chunk store that answers and cannot be used (saying
        // why); one that cannot be reached is waited for (`StoreWatch`): docks stage their uploads meanwhile.
        let opened = try Vault(directory: configuration.directory)
        var storeProblem: String?
        do { try opened.checkStore() } catch let e as CustodyError where !e.isCallersFault {
            storeProblem = e.description
            log.warning("the chunk store cannot be reached: serving anyway; uploads are staged and completed into it "
                        + "once it answers", ["error": e.description])
        }
        // What remote workers are told: the bucket (never with credentials, nor this machine's CA file path: a
        // worker gives its own, `--ca-file`), or the file store's folder.
        let storeLocation = try opened.storeLocation()
        let sharedStore = storeLocation == .files ? configuration.directory.chunks
            : storeLocation.withCAFile(nil).description
        self.configuration = configuration
        self.log = log
        UploadStore.logEarlyFailures { [log] message, fields in log.warning(message, fields) }
        metrics = Metrics()
        Self.describeMetrics(metrics)
        let tus = TusHandler(configuration: configuration, pool: VaultPool(directory: configuration.directory),
                             metrics: metrics, log: log)
        let bundles = BundleHandler(pool: tus.pool, log: log, clock: configuration.clock,
                                    refusals: RefusalBudget(burst: configuration.refusalsRecordedPerWindow,
                                                            window: configuration.refusalWindow))
        let api = APIHandler(
            pool: tus.pool, log: log, clock: configuration.clock,
            runner: configuration.executable.map {
                CommandRunner(executable: $0, directory: configuration.directory.root, slots: configuration.commandSlots,
                              timeLimit: configuration.commandTimeLimit)
            },
            directory: configuration.directory, maxUploadBytes: configuration.maxUploadBytes,
            refusals: RefusalBudget(burst: configuration.refusalsRecordedPerWindow, window: configuration.refusalWindow),
            officerRefusals: DockRefusals(burst: configuration.refusalsRecordedPerWindow,
                                          window: configuration.refusalWindow))
        let workers = WorkerHandler(pool: tus.pool, log: log, clock: configuration.clock,
                                    store: sharedStore,
                                    leaseSeconds: configuration.redactionLeaseSeconds,
                                    refusals: RefusalBudget(burst: configuration.refusalsRecordedPerWindow,
                                                            window: configuration.refusalWindow))
        storeWatch = StoreWatch(directory: configuration.directory, interval: configuration.storeCheckInterval,
                                log: log, tus: tus, problem: storeProblem)
        let router = Router(directory: configuration.directory, metrics: metrics, tus: tus,
                            ledger: LedgerHandler(pool: tus.pool, log: log), bundles: bundles, api: api,
                            workers: workers, storeWatch: storeWatch)
        var http = HTTPServerConfiguration(host: configuration.host, port: configuration.port,
                                           maxConnectionsPerPeer: configuration.maxConnectionsPerPeer)
        if let files = configuration.tls {
            do { tls = try TLSTransportSecurity(files) } catch { throw CustodyError.invalidInput(field: "tls",
                error.description) }
        } else {
            tls = nil
        }
        http.tls = tls
        server = HTTPServer(configuration: http, handler: router, observer: RequestObserver(metrics: metrics, log: log))
        checkpointer = PeriodicTask("checkpointer", directory: configuration.directory,
                                    interval: configuration.checkpointInterval, log: log) { [metrics] vault in
            if let stored = try vault.checkpoint() {
                metrics.set("custody_ledger_checkpoint_size", Double(stored.size))
            }
        }
        let filesShared = storeLocation == .files  // swept at start by opening the vault (`removeAbandonedScratch`)
        sweeper = PeriodicTask("upload-sweeper", directory: configuration.directory,
                               interval: configuration.sweepInterval, log: log) { vault in
            if filesShared { Self.sweepSharedTemporaries(configuration.directory, log: log) }
            api.recordEndedWindows(now: configuration.clock.uptime(), in: vault)
            workers.recordEndedWindow(now: configuration.clock.uptime(), in: vault)
            try tus.sweep(vault)
        }
        bundleSweeper = PeriodicTask("bundle-sweeper", directory: configuration.directory,
                                     interval: configuration.sweepInterval, log: log) { try bundles.sweep($0) }
        retention = PeriodicTask("retention", directory: configuration.directory,
                                 interval: configuration.retentionCheckInterval, log: log,
                                 runsWhenStopped: false) { [log] vault in
            vault.clock = configuration.clock
            guard let report = try vault.runRetentionIfDue(every: configuration.retentionEvery, by: .system) else {
                return
            }
            log.info("retention ran", ["deleted": report.deleted.count, "purged": report.purged.count,
                                       "kept": report.kept])
        }
        self.tus = tus
        var transferOptions = TransferWorker.Options()
        transferOptions.jobs = configuration.transferJobs
        transferOptions.priority = configuration.transferPriority
        transferOptions.clock = configuration.clock
        transferOptions.leavesRedactions = configuration.remoteRedaction
        transfer = TransferWorker(directory: configuration.directory, options: transferOptions,
                                  log: { [log] what, fields in log.info(what, fields) })
        self.bundles = bundles
        self.api = api
    }

    /// Removes what killed remote workers left in the file store's `chunks/.tmp` (by age: they ran elsewhere).
    static func sweepSharedTemporaries(_ directory: DataDirectory, log: Log) {
        let removed = FileChunkStore.sweepStaleTemporaries(root: directory.chunks)
        if removed > 0 { log.info("stale temporaries of killed writers removed", ["folder": directory.chunks + "/.tmp",
                                                                                  "files": removed]) }
    }

    /// Starts listening and checkpointing; returns the bound port.
    @discardableResult
    public func start() throws -> UInt16 {
        let pending = try interruptedIngests()
        let port: UInt16
        do { port = try server.start() } catch {
            throw CustodyError.failure("cannot listen on \(configuration.host):\(configuration.port)", cause: error)
        }
        checkpointer.start()
        let scheme = configuration.tls == nil ? "http" : "https"
        var fields: [String: Any] = ["host": configuration.host, "port": Int(port),
                                     "data": configuration.directory.root, "tls": tls != nil]
        if let tls { fields["certificate_sha256"] = tls.context.certificateSHA256 }
        fields["public_url"] = configuration.publicURL ?? "\(scheme)://\(configuration.host):\(port)"
        log.info("listening", fields)
        sweeper.start()
        storeWatch.start()
        transfer.start()
        bundleSweeper.start()
        retention.start()
        // Ingesting a large recording reads it whole: docks are served meanwhile.
        tus.startupIngests.start(pending) { [tus] in _ = tus.finishReceived($0, inBackground: true) }
        return port
    }

    /// Loads the TLS certificate and key files again for new connections (after a renewal); on
    /// failure the certificate in use stays. Logged either way. False when nothing was reloaded.
    @discardableResult
    public func reloadTLS() -> Bool {
        guard let tls else {
            log.warning("nothing to reload: the service runs without TLS", [:])
            return false
        }
        do {
            let context = try tls.reload()
            log.info("tls reloaded", ["certificate": tls.files.certificateFile,
                                      "certificate_sha256": context.certificateSHA256])
            return true
        } catch {
            log.error("tls reload failed; the previous certificate stays in use",
                      ["error": error.description, "certificate_sha256": tls.context.certificateSHA256])
            return false
        }
    }

    /// SIGHUP reloads the TLS certificate and key (`reloadTLS`).
    public func reloadOnHangup() -> SignalWatch {
        SignalWatch(SIGHUP) { [weak self] in self?.reloadTLS() }
    }

    /// What a crash cut short: quarantined uploads whose pieces were not moved yet (moved now), and
    /// uploads whose last byte was stored but whose ingest was not (returned, to be ingested once the
    /// service listens).
    private func interruptedIngests() throws -> [Upload] {
        let store = try UploadStore(vault: Vault(directory: configuration.directory), clock: configuration.clock)
        do {
            for id in try store.finishQuarantines() {
                log.info("quarantined upload moved after restart", ["upload": id])
            }
        } catch {
            // Not a reason to refuse uploads: the pieces stay where they are, and the ledger has the quarantine.
            log.error("quarantined pieces could not be moved", ["error": String(describing: error)])
        }
        return try store.unfinishedCompletions()
    }

    /// Runs one round of the sweeper on its thread now and returns once it is done: with a manual
    /// `clock`, tests drive expiry and refusal windows round by round instead of waiting for them.
    func sweepNow() { sweeper.runNow() }

    /// `sweepNow` for bundles: lapsed ZIPs removed, the download links' ended refusal window recorded.
    func sweepBundlesNow() { bundleSweeper.runNow() }

    /// Looks now whether retention is due (and runs it if so), on its thread; returns once done.
    func retentionNow() { retention.runNow() }

    /// SIGTERM and SIGINT stop the service gracefully.
    public func stopOnSignals() -> HTTPServerSignalHandlers { server.installShutdownSignalHandlers() }

    /// Stops accepting, lets in-flight requests finish, then signs a last checkpoint.
    public func shutdown() { server.shutdown() }

    /// Blocks until the server has stopped, then stops the checkpointer (after a final checkpoint).
    public func waitUntilStopped() {
        server.waitUntilStopped()
        tus.startupIngests.stop()
        transfer.stop()
        storeWatch.stop()
        sweeper.stop()
        bundleSweeper.stop()
        retention.stop()
        tus.flushRefusals()
        bundles.flushRefusals()
        try? tus.pool.with { api.recordEndedWindows(now: .infinity, in: $0) }
        checkpointer.stop()
        log.info("stopped", [:])
    }

    static func describeMetrics(_ m: Metrics) {
        m.describe("custody_http_requests_total", type: "counter", "HTTP requests answered, by route and status.")
        m.describe("custody_http_request_seconds", type: "histogram", "Time from request head to response sent.")
        m.describe("custody_http_received_bytes_total", type: "counter", "Request body bytes received.")
        m.describe("custody_ledger_checkpoint_size", type: "gauge", "Events covered by the newest signed checkpoint.")
        m.describe("custody_http_connections_rejected_total", type: "counter",
                   "Connections answered 503 because the connection limit was reached.")
        m.describe("custody_tls_handshake_failures_total", type: "counter",
                   "TLS handshakes that failed or did not finish in time.")
        m.describe("custody_uploads_in_progress", type: "gauge", "Upload requests receiving bytes right now.")
        m.describe("custody_upload_bytes_total", type: "counter", "Bytes durably received by tus uploads.")
        m.describe("custody_ingests_total", type: "counter", "Uploads completed and ingested into the vault.")
        m.describe("custody_upload_failures_total", type: "counter", "Upload requests refused or failed, by reason.")
    }
}
