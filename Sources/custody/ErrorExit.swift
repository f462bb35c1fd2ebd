import CustodyCore
import Vault

/// The one place a domain error becomes what the CLI says: its exit code (README: 0 success,
/// 1 integrity failure found, 2 usage or input error, refusals included, 3 other failure) and the
/// command that helps next, where one does.
extension CustodyError {
    var exitCode: Int32 {
        switch kind {
        case .invalidInput, .notFound, .refused, .conflict: return 2
        case .integrity: return 1
        case .diskFull, .missing, .failure: return 3
        }
    }

    /// What to run next, appended to the message on stderr.
    var hint: String? {
        switch kind {
        case .notFound(.exhibit): return "`custody list` shows the catalog"
        case .notFound(.device), .conflict(.device): return "`custody device list` shows them"
        case .notFound(.case), .conflict(.case): return "`custody case list` shows them"
        case .notFound(.bundle): return "`custody bundle list` shows them"
        case .notFound(.officer), .conflict(.officer): return "`custody officer list` shows them"
        case .refused where message.hasSuffix(" is not registered"):
            return "a supervisor registers officers with `custody officer add`"
        case .invalidInput(field: "case"): return "e.g. CPS/2026/1187"
        case .notFound(.dataDirectory): return "`custody init` with the same --data creates one"
        case .conflict(.file): return "choose another --out"
        case .missing(.ledgerPublicKey): return "`custody init` with the same --data writes it again"
        case .missing(.ledgerKey): return "restore it from a backup: every checkpoint was signed with it"
        case .invalidInput(field: "chunk_size"): return "give it with --chunk-size"
        case .conflict(.setting): return "give the stored value with --org or --origin, or none"
        case .refused where message == Vault.noOfficer: return "give --as ID or set CUSTODY_ACTOR"
        case .refused where message == Vault.malformedOfficer: return "give it with --as or CUSTODY_ACTOR"
        default: return nil
        }
    }

    /// The message as the CLI prints it: with its cause and hint.
    var shown: String { hint.map { "\(description); \($0)" } ?? description }
}
