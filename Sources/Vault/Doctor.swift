import Crypto
import CustodyCore
import Foundation
import Ledger
import SQLite
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One finding of `custody doctor`: what was checked, how it stands, and what to do about it.
public struct DoctorFinding: Sendable, Equatable {
    public enum Level: String, Sendable { case ok, warning, problem }
    public let check: String
    public let level: Level
    public let detail: String
    /// What to do, for a warning or a problem.
    public let fix: String?

    static func ok(_ check: String, _ detail: String) -> DoctorFinding {
        DoctorFinding(check: check, level: .ok, detail: detail, fix: nil)
    }
}

/// `custody doctor`: checks a deployment without changing it (no event is recorded): the owner and
/// modes of the data directory and keys, free space and inodes, the schema, the ledger key pair and the
/// retired keys' records (`Doctor+Keys.swift`), SQLite's integrity check,
/// the ledger (as `ledger verify`), the clock against the newest event, the chunk store (`Doctor+Store.swift`)
/// and the TLS certificate.
public enum Doctor {
    /// Free space or inodes below this fraction is a warning; below `problemFraction`, or under
    /// `problemBytes`, a problem.
    static let warningFraction = 0.10, problemFraction = 0.02
    static let problemBytes: Int64 = 1 << 30
    /// A certificate expiring within this many days is a warning.
    static let certificateWarningDays: Int64 = 14

    public static func diagnose(_ directory: DataDirectory, tlsCertificate: String? = nil, tlsKey: String? = nil,
                                now: Date = Date()) -> [DoctorFinding] {
        guard directory.isInitialized else {
            return [DoctorFinding(check: "data directory", level: .problem,
                                  detail: "\(directory.root) is not a custody data directory",
                                  fix: "give --data (or $CUSTODY_DATA), or run custody init")]
        }
        var findings = modes(directory) + [disk(directory)]
        findings += vaultChecks(directory, now: now)
        if let tlsCertificate, let tlsKey { findings.append(certificate(tlsCertificate, tlsKey, now: now)) }
        return findings
    }

    /// Every folder the vault's own (owned by this user, nothing for group or others) and its secrets 0600.
    static func modes(_ d: DataDirectory) -> [DoctorFinding] {
        let user = geteuid()
        var wrong = [String]()
        var fixes = [String]()
        for (path, isSecret) in [(d.root, false), (d.keys, false), (d.chunks, false), (d.scratch, false),
                                 (d.uploads, false), (d.bundles, false), (d.database, true), (d.ledgerPrivateKey, true),
                                 (d.linkSecret, true)] {
            var st = stat()
            guard stat(path, &st) == 0 else {
                if isSecret || path == d.root || path == d.keys { wrong.append("\(path) is missing") }
                continue
            }
            if st.st_uid != user {
                wrong.append("\(path) is owned by uid \(st.st_uid), not by uid \(user) running this")
                fixes.append("chown -R \(user) \(d.root)")
            }
            let mode = st.st_mode & 0o777
            if mode & 0o077 != 0 {
                wrong.append("\(path) is mode \(String(mode, radix: 8)): group or others may use it")
                fixes.append("chmod \(isSecret ? "600" : "700") \(path)")
            }
        }
        guard wrong.isEmpty else {
            return [DoctorFinding(check: "permissions", level: .problem, detail: wrong.joined(separator: "; "),
                                  fix: fixes.isEmpty ? "restore the missing files from a backup"
                                      : fixes.joined(separator: "; "))]
        }
        return [.ok("permissions", "the data directory and its keys are this user's alone (folders 0700, keys 0600)")]
    }

    static func disk(_ d: DataDirectory) -> DoctorFinding {
        var fs = statvfs()
        guard statvfs(d.root, &fs) == 0 else {
            return DoctorFinding(check: "disk", level: .problem, detail: "statvfs(\(d.root)) failed: errno \(errno)",
                                 fix: nil)
        }
        let free = Int64(fs.f_bavail) * Int64(fs.f_frsize), total = Int64(fs.f_blocks) * Int64(fs.f_frsize)
        let freeShare = total > 0 ? Double(free) / Double(total) : 0
        let inodeShare = fs.f_files > 0 ? Double(fs.f_favail) / Double(fs.f_files) : 1
        let detail = "\(bytes(free)) free of \(bytes(total)) (\(percent(freeShare))), "
            + "\(fs.f_favail) inodes free (\(percent(inodeShare)))"
        if free < problemBytes || freeShare < problemFraction || inodeShare < problemFraction {
            return DoctorFinding(check: "disk", level: .problem, detail: detail,
                                 fix: "free space or grow the file system now: uploads and ingests are refused "
                                     + "when it is full")
        }
        if freeShare < warningFraction || inodeShare < warningFraction {
            return DoctorFinding(check: "disk", level: .warning, detail: detail, fix: "plan more space")
        }
        return .ok("disk", detail)
    }

    /// Schema, integrity check, ledger and clock: what needs the vault open.
    static func vaultChecks(_ d: DataDirectory, now: Date) -> [DoctorFinding] {
        let vault: Vault
        do { vault = try Vault(directory: d) } catch {
            return [DoctorFinding(check: "schema", level: .problem, detail: "\(error)", fix: nil)]
        }
        var findings = [DoctorFinding]()
        do {
            let versions = try vault.db.query("SELECT component || ' ' || version FROM schema_versions ORDER BY 1")
                .compactMap { $0.text(0) }
            findings.append(.ok("schema", "current: " + versions.joined(separator: ", ")))
            findings += keys(vault)
            let check = try vault.db.query("PRAGMA integrity_check").compactMap { $0.text(0) }
            findings.append(check == ["ok"] ? .ok("catalog", "SQLite integrity_check: ok")
                : DoctorFinding(check: "catalog", level: .problem, detail: "SQLite integrity_check: "
                                + check.prefix(5).joined(separator: "; "), fix: "restore custody.sqlite from a backup"))
            let report = try vault.events.verify(verifier: vault.noteVerifier())
            findings.append(report.isIntact ? .ok("ledger", "\(report.size) events, \(report.checkpointsChecked) "
                                                  + "checkpoints match")
                : DoctorFinding(check: "ledger", level: .problem,
                                detail: report.problems.prefix(3).joined(separator: "; "),
                                fix: "custody ledger verify names every mismatch; restore from a backup"))
            findings.append(try clock(vault, now: now))
            findings.append(store(vault))
        } catch {
            findings.append(DoctorFinding(check: "catalog", level: .problem, detail: "\(error)", fix: nil))
        }
        return findings
    }

    /// The newest event must not be in the future: a clock set back would record events out of order.
    static func clock(_ vault: Vault, now: Date) throws -> DoctorFinding {
        let count = try vault.events.count()
        guard count > 0, let newest = try vault.events.event(seq: count - 1), let at = Timestamp.parse(newest.time)
        else { return .ok("clock", "no event yet") }
        let ahead = at.timeIntervalSince(now)
        guard ahead <= 60 else {
            return DoctorFinding(check: "clock", level: .problem,
                                 detail: "the newest event (\(newest.time)) is \(Int(ahead)) s ahead of this clock",
                                 fix: "set the clock right (NTP: timedatectl set-ntp true) before recording anything")
        }
        return .ok("clock", "the newest event (\(newest.time)) is not ahead of this clock")
    }

    static func certificate(_ certificate: String, _ key: String, now: Date) -> DoctorFinding {
        let context: TLSServerContext
        do { context = try TLSServerContext(certificateChainFile: certificate, privateKeyFile: key) } catch {
            return DoctorFinding(check: "tls", level: .problem, detail: error.description,
                                 fix: "fix the certificate and key files, then systemctl reload custody")
        }
        let expiry = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(context.certificateNotAfter)))
        let daysLeft = (context.certificateNotAfter - Int64(now.timeIntervalSince1970)) / 86_400
        if Int64(now.timeIntervalSince1970) >= context.certificateNotAfter {
            return DoctorFinding(check: "tls", level: .problem, detail: "\(certificate) expired at \(expiry)",
                                 fix: "renew it, then systemctl reload custody")
        }
        if daysLeft < certificateWarningDays {
            return DoctorFinding(check: "tls", level: .warning, detail: "\(certificate) expires in \(daysLeft) days "
                                 + "(\(expiry))", fix: "renew it, then systemctl reload custody")
        }
        return .ok("tls", "\(certificate) is valid until \(expiry) (\(daysLeft) days); the key matches it")
    }

    static func bytes(_ n: Int64) -> String { String(format: "%.1f GiB", Double(n) / Double(1 << 30)) }
    static func percent(_ share: Double) -> String { String(format: "%.0f%%", share * 100) }
}
