import CustodyCore
import Foundation
import Ledger
import Vault

struct RotateKeyCommand: Command {
    static let name = "rotate-key"
    static let summary = "Replace the download links' secret (every link sent so far stops opening)."
    static let usage = """
        rotate-key link --reason TEXT [--as ID] [--data DIR] [--json]

        link: a new keys/link.secret. Every download link sent so far stops opening at once (a recipient
        who tries one is refused, and the refusal recorded as `signed with a retired link secret`);
        `custody bundle show ID` prints a new link for a bundle that should stay reachable. The old secret
        is kept in keys/retired/ (0600) only to tell such links from forged ones. Recorded as a `link`
        event with the reason. `custody serve` uses the new secret at once. A supervisor's command.
        """
    static let options: [OptionSpec] = [
        .option("reason", "TEXT", "why the key is replaced; recorded in the ledger (required)"),
        .actor, .data, .json,
    ]
    static let refusalAction: CustodyEvent.Action? = .link

    let args: Arguments
    let reason: String

    init(_ args: Arguments) throws {
        let kind = try args.positionals(exactly: ["link"])[0]
        guard kind == "link" else {
            throw CustodyError.invalidInput(field: "arguments", "rotate-key takes `link`, not \(kind.prefix(40))")
        }
        reason = try args.reason(for: "key rotation")
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let at = try vault.rotateLinkSecret(reason: reason, by: Context.acting(args),
                                            now: Int64(Date().timeIntervalSince1970))
        if args.flag("json") {
            Output.json(["rotated": "link", "at": at])
        } else {
            print("The link secret was replaced at \(at): every link sent before no longer opens.")
        }
        return 0
    }
}
