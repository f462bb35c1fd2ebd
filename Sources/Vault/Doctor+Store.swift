import CustodyCore
import Foundation

extension Doctor {
    /// The chunk store answers as it should: an S3 bucket is reachable with the credentials, and has Object
    /// Lock when chunks are to be locked. Nothing is written.
    static func store(_ vault: Vault) -> DoctorFinding {
        let location: StoreLocation
        do { location = try vault.storeLocation() } catch {
            return DoctorFinding(check: "chunk store", level: .problem, detail: "\(error)",
                                 fix: "restore custody.sqlite from a backup")
        }
        guard case .s3(_, let lock) = location else {
            return .ok("chunk store", "files in \(vault.directory.chunks)")
        }
        do {
            try vault.checkStore()
            return .ok("chunk store", "\(location) answers"
                       + (lock.map { "; Object Lock on, chunks written in \($0.rawValue) mode" } ?? "; no Object Lock"))
        } catch {
            return DoctorFinding(check: "chunk store", level: .problem, detail: "\(error)",
                                 fix: "check the endpoint and the network, the credentials (AWS_ACCESS_KEY_ID and "
                                    + "AWS_SECRET_ACCESS_KEY, or \(Vault.credentialsFile(of: vault.directory)), 0600) "
                                    + "and the bucket's settings")
        }
    }
}
