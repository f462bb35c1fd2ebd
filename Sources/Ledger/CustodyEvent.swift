import CustodyCore

/// One entry of the chain-of-custody ledger: who did what to which evidence, when, and how it ended.
public struct CustodyEvent: Sendable, Equatable {
    /// What was done. Raw values are the `action` field of the canonical leaf.
    public enum Action: String, Sendable, CaseIterable {
        case initialize = "init"
        case ingest, view, export, redact, share, download, delete, verify, upload, device, link, retention
        /// Officers registered, disabled, given a role or a new token; legal holds added or removed; a
        /// deleted exhibit restored; the vault backed up (`custody backup`); a key replaced (`rotate-key`).
        case officer, hold, restore, backup, key
    }

    public enum Outcome: String, Sendable, CaseIterable {
        case ok, refused, failed
    }

    /// Position in the log, from 0; also the Merkle leaf index. Assigned by `EventLog.append`.
    public var seq: Int64
    /// RFC 3339 UTC with milliseconds.
    public var time: String
    public var actor: Actor
    public var action: Action
    public var exhibit: String?
    public var caseID: String?
    /// SHA-256 (hex) of the object touched, when there is one.
    public var objectSHA256: String?
    public var outcome: Outcome
    public var reason: String?
    /// Free-form details; keys and values are text.
    public var details: [String: String]

    public init(seq: Int64 = -1, time: String = Timestamp.rfc3339(), actor: Actor, action: Action,
                exhibit: String? = nil, caseID: String? = nil, objectSHA256: String? = nil,
                outcome: Outcome = .ok, reason: String? = nil, details: [String: String] = [:]) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.action = action
        self.exhibit = exhibit
        self.caseID = caseID
        self.objectSHA256 = objectSHA256
        self.outcome = outcome
        self.reason = reason
        self.details = details
    }
}
