import CustodyCore
import Foundation
import Ledger
import Vault

struct RotateKeyCommand: Command {
    static let name = "rotate-key"
    static let summary = "Replace the ledger's signing key, or the download links' secret."
    static let usage = """
        rotate-key ledger|link --reason TEXT [--as ID] [--data DIR] [--json]

        ledger: a new Ed25519 key pair signs checkpoints from now on. First a last checkpoint is signed with
        the old key, covering this rotation's event; then its public key moves to keys/retired/ with that
        checkpoint's tree size, and its private key is deleted. Every checkpoint it signed still verifies,
        and none larger: `ledger verify`, `ledger key --all`, /ledger/keys and `bundle verify --server` know
        the retired keys and their sizes, and a bundle made before keeps the key that signed it. Give
        recipients and auditors the new key (`custody ledger key`).
        link: a new keys/link.secret. Every download link sent so far stops opening at once (a recipient
        who tries one is refused, and the refusal recorded as `signed with a retired link secret`);
        `custody bundle show ID` prints a new link for a bundle that should stay reachable. The old secret
        is kept in keys/retired/ (0600) only to tell such links from forged ones. Recorded as a `key`
        event with the reason. `custody serve` uses the new secret at once. A supervisor's command.
        """
    static let options: [OptionSpec] = [
        .option("reason", "TEXT", "why the key is replaced; recorded in the ledger (required)"),
        .actor, .data, .json,
    ]
    static let refusalAction: CustodyEvent.Action? = .key

    let args: Arguments
    let reason: String
    let kind: String

    init(_ args: Arguments) throws {
        kind = try args.positionals(exactly: ["ledger|link"])[0]
        guard kind == "link" || kind == "ledger" else {
            throw CustodyError.invalidInput(field: "arguments",
                                            "rotate-key takes ledger or link, not \(kind.prefix(40))")
        }
        reason = try args.reason(for: "key rotation")
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let now = Int64(Date().timeIntervalSince1970)
        if kind == "ledger" {
            let vkey = try vault.rotateLedgerKey(reason: reason, by: Context.acting(args), now: now)
            if args.flag("json") {
                Output.json(["rotated": "ledger", "vkey": vkey])
            } else {
                print("The ledger now signs with \(vkey)\nThe old key is retired: what it signed still verifies.")
            }
            return 0
        }
        let at = try vault.rotateLinkSecret(reason: reason, by: Context.acting(args), now: now)
        if args.flag("json") {
            Output.json(["rotated": "link", "at": at])
        } else {
            print("The link secret was replaced at \(at): every link sent before no longer opens.")
        }
        return 0
    }
}
