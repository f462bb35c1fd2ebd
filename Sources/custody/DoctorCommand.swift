import CustodyCore
import Foundation
import Vault

struct DoctorCommand: OptionsOnlyCommand {
    static let name = "doctor"
    static let summary = "Check a deployment: permissions, disk, schema, catalog, ledger, clock, TLS certificate."
    static let usage = """
        doctor [--data DIR] [--config FILE] [--tls-cert FILE --tls-key FILE] [--json]

        Changes nothing and records nothing. Checks that the data directory and its keys belong to the
        user running it (the service account) with no access for group or others, free space and inodes
        on its file system, the schema version, SQLite's integrity_check, the ledger (as `ledger verify`),
        that the newest event is not ahead of this clock, and the TLS certificate serve uses (from
        --tls-cert/--tls-key, else the configuration file: loads, matches its key, not expired, not within
        14 days of expiry). Each finding says what to do. Exit 1 if anything is wrong (warnings: 0).
        """
    static let options: [OptionSpec] = [
        .data,
        .option("config", "FILE", "serve's configuration file, for its data directory and TLS files "
                + "(default /etc/custody/custody.conf when it exists)"),
        .option("tls-cert", "FILE", "the certificate chain serve uses"),
        .option("tls-key", "FILE", "its private key"),
        .json,
    ]

    let args: Arguments

    func run() throws -> Int32 {
        let settings = args.withEnvironmentData().0.filling(from: try ConfigFile.forServe(args))
        let findings = Doctor.diagnose(Context.directory(settings), tlsCertificate: settings.value("tls-cert"),
                                       tlsKey: settings.value("tls-key"))
        let failed = findings.contains { $0.level == .problem }
        if args.flag("json") {
            Output.json(["ok": !failed, "findings": findings.map { f in
                ["check": f.check, "level": f.level.rawValue, "detail": f.detail, "fix": f.fix as Any]
            }])
        } else {
            for f in findings {
                let mark = ["ok": "OK     ", "warning": "WARNING", "problem": "PROBLEM"][f.level.rawValue]!
                print("\(mark) \(f.check): \(f.detail)".escapedForTerminal)
                if let fix = f.fix { print("        fix: \(fix)".escapedForTerminal) }
            }
            print(failed ? "Something is wrong: see PROBLEM above." : "All checks passed.")
        }
        return failed ? 1 : 0
    }
}
