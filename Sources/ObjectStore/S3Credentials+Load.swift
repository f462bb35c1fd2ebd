import CustodyCore
import Foundation
import POSIX

extension S3Credentials {
    /// The most a credentials file may hold.
    static let maxFileSize = 4096

    /// Where the credentials come from: `explicit` when given (a file named on the command line wins over the
    /// environment); else `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` in `environment` when both are set,
    /// else `file` (`NAME=value` lines with those two names, `#` comments), which must
    /// belong to this user and be readable by no one else (0600 or 0400). Nil when neither gives any.
    /// Errors name the file and never quote a value.
    public static func load(environment: [String: String], file: String?, explicit: String? = nil) throws
        -> S3Credentials? {
        if let explicit { return try read(explicit) }
        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"],
           !id.isEmpty, !secret.isEmpty {
            return S3Credentials(accessKeyID: id, secretAccessKey: secret)
        }
        guard let file, FS.entryExists(file) else { return nil }
        return try read(file)
    }

    /// Reads a credentials file (see `load`), checked as `PrivateFile` checks a secret's file.
    public static func read(_ file: String) throws -> S3Credentials {
        let text: String
        do { text = try PrivateFile.read(file, maxSize: maxFileSize) } catch {
            let message = PrivateFile.message(error, file, holding: "an S3 secret key", maxSize: maxFileSize)
            throw error.exposesTheSecret ? CustodyError.refused(message)
                : CustodyError.invalidInput(field: "credentials", message)
        }
        var values: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)  // a CRLF file's \r too
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw CustodyError.invalidInput(field: "credentials", "\(file) line \(index + 1) is not NAME=value")
            }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == value.last, value.first == "\"" || value.first == "'" {
                value = String(value.dropFirst().dropLast())
            }
            values[name] = value
        }
        guard let id = values["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = values["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw CustodyError.invalidInput(field: "credentials", "\(file) needs AWS_ACCESS_KEY_ID=... and "
                                            + "AWS_SECRET_ACCESS_KEY=... lines")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret)
    }

    /// The file form `read` takes.
    public var fileText: String { "AWS_ACCESS_KEY_ID=\(accessKeyID)\nAWS_SECRET_ACCESS_KEY=\(secretAccessKey)\n" }
}
