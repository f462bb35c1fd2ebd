import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger
import POSIX
import SQLite
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An opened custody vault: catalog, chunk store and custody event log in one data directory.
/// One instance per thread; several processes may open the same directory at once.
public final class Vault {
    public static let defaultChunkSize = ChunkSize.standard
    public static let maxChunkSize = ChunkSize.maximum

    public let directory: DataDirectory
    public let db: Database
    public let catalog: Catalog
    public let events: EventLog
    /// The registered docks, the cases and the bundles, made once: a dock's requests do not check their
    /// schema each time.
    let deviceRegistry: DeviceRegistry
    let officerRegistry: OfficerRegistry
    let caseRegistry: CaseRegistry
    let bundleRegistry: BundleRegistry
    /// Retention: categories, legal holds and deletions (`Vault+Retention.swift` and beside it).
    let retentionRegistry: RetentionRegistry
    let holdRegistry: HoldRegistry
    let deletionRegistry: DeletionRegistry
    /// What retention reads the time from (when an exhibit is due, when a deletion may be purged).
    public var clock = CustodyClock.system
    /// For tests: runs in a retention run after it listed the deletions due to be purged, before each purge
    /// (another process restoring or ingesting that exhibit meanwhile).
    var beforePurge: ((String) throws -> Void)?
    /// The chunk store the catalog names (`StoreLocation`): the data directory's `chunks/`, or an S3 bucket.
    public let store: any ChunkStore
    /// Where `store` is: what the catalog named when this vault was opened (`store migrate` may move it since).
    public let openedStore: StoreLocation
    /// Why an evidence use case is refused to a party that is no officer (the CLI's login user):
    /// `noOfficer`, or `malformedOfficer` when a front end was given an officer ID that cannot be one.
    public var withoutOfficer = Vault.noOfficer
    /// Why the store's Object Lock could not follow the last catalog change (`settleLocks`); nil when it did.
    public internal(set) var lockWorkPending: String?

    /// Opens an initialized data directory; removes temp files of crashed runs.
    public init(directory: DataDirectory) throws {
        guard directory.isInitialized else {
            throw CustodyError.notFound(.dataDirectory, "\(directory.root) is not a custody data directory")
        }
        self.directory = directory
        do {
            // Never created here (`initialize` does): a catalog removed after the check above is an error,
            // not a new empty catalog.
            db = try Database(path: directory.database, create: false)
            catalog = try Catalog(db: db)
            events = try EventLog(db: db)
            deviceRegistry = try DeviceRegistry(db: db)
            officerRegistry = try OfficerRegistry(db: db)
            caseRegistry = try CaseRegistry(db: db)
            bundleRegistry = try BundleRegistry(db: db)
            retentionRegistry = try RetentionRegistry(db: db)
            holdRegistry = try HoldRegistry(db: db)
            deletionRegistry = try DeletionRegistry(db: db)
        } catch let e as SQLiteError {
            throw CustodyError.failure("cannot open the catalog \(directory.database)", cause: e)
        } catch let e as SchemaTooNew {
            throw CustodyError(.refused, "\(directory.database) was written by a newer custody: \(e); run that "
                               + "version (or newer) on this data directory, never an older one")
        }
        try FS.mkdir(directory.scratch, 0o700)
        directory.removeAbandonedScratch()
        let location = try StoreLocation(catalog.setting(StoreLocation.settingName) ?? "files",
                                         field: StoreLocation.settingName)
        var lockSeconds = RetentionRegistry.defaultKeepSeconds
        if case .s3(_, lock: .some) = location { lockSeconds = try retentionRegistry.defaultKeepSecondsNow() }
        store = try Self.openStore(location, directory: directory, lockSeconds: { lockSeconds })
        openedStore = location
    }

    /// What `initialize` did: the opened vault, whether it was created, and the token of the first
    /// supervisor when it registered one (shown once).
    public struct Initialization {
        public let vault: Vault
        public let created: Bool
        public let supervisorToken: String?
        /// Where the S3 credentials from the environment were saved for later commands and the service
        /// (`keys/s3.credentials`, 0600), when this run saved them.
        public var savedCredentials: String?
    }

    /// Creates (or completes) a data directory and returns the opened vault. Harmless to repeat.
    /// `origin` names the ledger's checkpoints (default `<org>/custody`); it and `org` are fixed at
    /// creation, since every checkpoint ever signed names them: another value is refused. While no
    /// officer is registered, an officer `actor` is registered as the first supervisor.
    public static func initialize(_ directory: DataDirectory, org: String?, origin: String? = nil,
                                  actor: Actor) throws -> (Vault, created: Bool) {
        let done = try initialization(directory, org: org, origin: origin, actor: actor)
        return (done.vault, done.created)
    }

    /// `initialize`, with the first supervisor's token.
    /// `store`: where chunks go (`StoreLocation`); fixed at creation like the origin. An S3 bucket is checked
    /// (reachable with the credentials, Object Lock enabled when a lock mode is asked) before anything is made.
    public static func initialization(_ directory: DataDirectory, org: String?, origin: String? = nil,
                                      store: StoreLocation? = nil, actor: Actor) throws -> Initialization {
        // Refused before anything is made: the first supervisor could never be registered under it.
        if actor.kind == .officer && Actor.isReservedID(actor.id) {
            throw CustodyError.invalidInput(field: "--as", Actor.reservedMessage(actor.id, as: "officer ID"))
        }
        if case .s3(let location, let mode) = store {
            _ = try openS3(location, lock: mode, credentialsFile: credentialsFile(of: directory),
                           lockSeconds: { RetentionRegistry.defaultKeepSeconds })
        }
        let created = try directory.create()
        // The database is created on first open, its schema by the migrations. It names officers
        // and devices, so only the service account may read it (WAL files inherit the mode).
        _ = try Database(path: directory.database)
        chmod(directory.database, 0o600)
        let saved = try store.map { try fixStore($0, in: directory) } ?? nil
        let vault = try Vault(directory: directory)
        try vault.db.transaction {
            // The organisation is fixed like the origin: the first checkpoint's origin names it, and a
            // silent change would leave the vault naming one body and its checkpoints another.
            if let stored = try vault.catalog.setting("org") {
                if let org, org != stored {
                    throw CustodyError.conflict(.setting, "this vault's organisation is \(stored), fixed when it "
                                                + "was created; it cannot become \(org)")
                }
            } else {
                try vault.catalog.setSetting("org", org ?? "local")
            }
            if let fixed = try vault.catalog.setting("ledger_origin") {
                if let origin, origin != fixed {
                    throw CustodyError.conflict(.setting, "the ledger origin of this vault is \(fixed); "
                                                + "it cannot change")
                }
            } else {
                try vault.catalog.setSetting("ledger_origin", origin ?? "\(try vault.organization())/custody")
            }
            if created {
                var details = ["org": try vault.organization(), "origin": try vault.ledgerOrigin()]
                if case .s3 = try vault.storeLocation() { details["store"] = try vault.storeLocation().description }
                try vault.record(CustodyEvent(actor: actor, action: .initialize, details: details))
            }
        }
        let token = try vault.registerFirstSupervisor(actor)
        try vault.checkpoint()
        var done = Initialization(vault: vault, created: created, supervisorToken: token)
        done.savedCredentials = saved
        return done
    }

    /// The organisation name given to `custody init --org` (default `local`).
    public func organization() throws -> String { try catalog.setting("org") ?? "local" }

    /// Appends a custody event. If it cannot be written, the access it records must not happen.
    @discardableResult
    public func record(_ event: CustodyEvent) throws -> CustodyEvent {
        do {
            return try events.append(event)
        } catch {
            throw CustodyError.failure("cannot write the custody event, so the \(event.action.rawValue) is refused",
                                       cause: error)
        }
    }

}
