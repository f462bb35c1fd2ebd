import Catalog
import CustodyCore
import Crypto
import Foundation
import Vault

/// How `bundle list` and `bundle show` print a bundle for people.
enum BundleText {
    /// `done`, `revoked`, `running (writing 40%)`, `queued (retry 2 of 5 after 12:00:05Z)`, `failed`.
    static func state(_ b: BundleRegistry.Bundle) -> String {
        if b.revokedAt != nil { return "revoked" }
        if b.removedAt != nil { return "removed" }
        switch b.state {
        case .running:
            return "running (\(b.step ?? "leased") \(Int(((b.progress ?? 0) * 100).rounded()))%)"
        case .queued where b.attempts > 0:
            let at = Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(b.nextTryAt)))
            return "queued (attempt \(b.attempts + 1) of \(BundleRegistry.maxAttempts) from \(at))"
        default:
            return b.state.rawValue
        }
    }

    static func detail(_ view: BundleDetail, link: String?) -> String {
        let b = view.bundle
        var rows = [["Case:", b.caseRef.escapedForTerminal], ["Recipient:", b.recipient],
                    ["Created:", "\(b.createdAt) by \(b.createdBy)"], ["State:", state(b)],
                    ["Attempts:", "\(b.attempts) of \(BundleRegistry.maxAttempts)"]]
        if let error = b.error { rows.append(["Last error:", error.escapedForTerminal]) }
        if let owner = b.leaseOwner, let until = b.leaseUntil {
            rows.append(["Leased by:", "\(owner) until "
                         + Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(until)))])
        }
        for item in view.items {
            let spec = item.spec.map { " redacted with spec \(SHA256.hash($0).hex.prefix(12))" } ?? ""
            let sent = item.spec == nil ? "" : item.derived.map { " -> \($0)" } ?? " (not redacted yet)"
            rows.append(["Clip \(item.index + 1):", item.exhibit + spec + sent])
        }
        if let size = b.size, let sha = b.sha256 {
            rows.append(["ZIP:", "\(Format.bytes(size)), SHA-256 \(sha)"])
            rows.append(["Built:", b.builtAt ?? "-"])
        }
        rows.append(["Expires:", b.expiresAt ?? "\(b.expiresIn / 3600) h after it is built"])
        rows.append(["Downloads:", "\(b.downloads)" + (b.maxDownloads.map { " of \($0)" } ?? "")])
        if let at = b.revokedAt {
            rows.append(["Revoked:", "\(at) by \(b.revokedBy ?? "?"): \((b.revokeReason ?? "").escapedForTerminal)"])
        }
        if let at = b.removedAt { rows.append(["Removed:", at]) }
        if let link { rows.append(["Link:", link]) }
        return "Bundle \(b.id)\n" + Output.table(rows.map { [""] + $0 })
    }
}
