import CustodyCore
import HTTPServer
import Ledger
import Vault

/// The public ledger endpoints under `/ledger/`: the newest signed checkpoint, consistency proofs
/// between checkpoints, and the verifier key. No authentication and nothing personal in them: a
/// checkpoint holds a size and a root, a proof only tree hashes. Reads record no event and sign
/// nothing (`Vault+PublishedLedger.swift`).
struct LedgerHandler {
    static let endpoints = ["/ledger/checkpoint", "/ledger/consistency", "/ledger/key", "/ledger/keys"]
    /// Who reads: anyone. Named only because every use case takes an actor; no event names it.
    static let reader = Actor(id: "anyone", kind: .recipient)

    let pool: VaultPool
    let log: Log

    func handle(_ request: HTTPRequestHead) -> HTTPResponse {
        let path = request.path
        guard Self.endpoints.contains(path) else {
            return .text(.notFound, "no such ledger endpoint; there are /ledger/checkpoint, "
                         + "/ledger/consistency?from=N, /ledger/key and /ledger/keys\n")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(.methodNotAllowed, "use GET or HEAD\n", headers: ["Allow": "GET, HEAD"])
        }
        do {
            return try pool.with { vault in
                switch path {
                case "/ledger/checkpoint": return Self.ok(try vault.newestCheckpoint(for: Self.reader).note)
                case "/ledger/consistency":
                    let sizes = try LedgerQuery.sizes(request.query)
                    return Self.ok(try vault.consistencyProof(from: sizes.from, to: sizes.to, for: Self.reader).text)
                case "/ledger/keys":
                    let verifier = try vault.publishedLedgerKey().verifier
                    return Self.ok(verifier.publishedKeyLines.joined(separator: "\n") + "\n")
                default:
                    let key = try vault.publishedLedgerKey()
                    return .text(.ok, key.verifier.vkey + "\n" + key.pem + (key.pem.hasSuffix("\n") ? "" : "\n"))
                }
            }
        } catch let error as CustodyError {
            if let refusal = Tus.refusal(error) { return .text(refusal.status, refusal.message + "\n") }
            log.error("ledger read failed", ["route": path, "error": error.description])
            return .text(.internalServerError, "the ledger could not be read\n")
        } catch {
            log.error("ledger read failed", ["route": path, "error": String(describing: error)])
            return .text(.internalServerError, "the ledger could not be read\n")
        }
    }

    /// Checkpoints and proofs to the newest change as the log grows: never served from a cache unchecked.
    private static func ok(_ text: String) -> HTTPResponse {
        .text(.ok, text, headers: ["Cache-Control": "no-cache"])
    }
}

/// The query of `/ledger/consistency`: `from=N`, optionally `&to=M`, tree sizes in plain decimal.
enum LedgerQuery {
    static let maxLength = 64

    static func sizes(_ query: String?) throws -> (from: UInt64, to: UInt64?) {
        guard let query, !query.isEmpty else { throw bad("from=N is required: the tree size of your checkpoint") }
        guard query.utf8.count <= maxLength else { throw bad("the query is longer than \(maxLength) bytes") }
        var values = [String: UInt64]()
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, ["from", "to"].contains(parts[0]) else {
                throw bad("the query takes only from=N and to=M")
            }
            let name = String(parts[0])
            guard values[name] == nil else { throw bad("\(name) is given twice") }
            values[name] = try size(parts[1], name)
        }
        guard let from = values["from"] else { throw bad("from=N is required: the tree size of your checkpoint") }
        return (from, values["to"])
    }

    /// Decimal digits, no sign, no leading zero, at most 2^63 - 1 (what SQLite stores).
    private static func size(_ text: Substring, _ name: String) throws -> UInt64 {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), text == "0" || text.first != "0",
              let n = UInt64(text), n <= UInt64(Int64.max) else {
            throw bad("\(name) must be a tree size in plain decimal (no sign, no leading zeros)")
        }
        return n
    }

    private static func bad(_ message: String) -> CustodyError { .invalidInput(field: "query", message) }
}
