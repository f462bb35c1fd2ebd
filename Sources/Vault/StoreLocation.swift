import CustodyCore
import Foundation
import ObjectStore

/// Where a vault keeps its chunks: its own `chunks/` folder (`files`, the default) or an S3 bucket
/// (`s3://BUCKET/PREFIX?endpoint=https://HOST:PORT&region=R[&ca-file=PEM][&lock=compliance|governance]`).
/// Chosen by `custody init --store` and kept in the catalog (setting `chunk_store`), so every process on the
/// data directory uses the same store; never with credentials in it.
public enum StoreLocation: Equatable, Sendable, CustomStringConvertible {
    case files
    /// `lock`: each chunk is written with Object Lock in this mode (the bucket must have Object Lock enabled).
    case s3(S3Location, lock: S3ChunkStore.ObjectLock.Mode?)

    public static let settingName = "chunk_store"
    static let maxLength = 1024

    /// Parses `files` or an `s3://` URL; errors name `field`.
    public init(_ text: String, field: String = "--store") throws {
        if text == "files" {
            self = .files
            return
        }
        guard text.utf8.count <= Self.maxLength, !text.altersDisplay else {
            throw CustodyError.invalidInput(field: field, "\(field) must be at most \(Self.maxLength) printable characters")
        }
        guard text.hasPrefix("s3://"), let url = URLComponents(string: text) else {
            throw CustodyError.invalidInput(field: field, "\(field) must be `files` or an s3://BUCKET/PREFIX?endpoint="
                                            + "https://HOST:PORT&region=REGION URL")
        }
        let endpoint = url.queryItems?.first { $0.name == "endpoint" }?.value.flatMap(URLComponents.init(string:))
        guard url.user == nil, url.password == nil, endpoint?.user == nil, endpoint?.password == nil,
              !(url.queryItems ?? []).contains(where: { ["access-key", "secret", "secret-key"].contains($0.name) }) else {
            throw CustodyError.invalidInput(field: field, "\(field) must not carry credentials: give them in "
                                            + "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the vault's keys/s3.credentials")
        }
        let location: S3Location
        do { location = try S3Location(url: text) } catch {
            // Quoted without anything between `//` and `@`: a key pair typed into the URL is never repeated.
            let shown = text.replacingOccurrences(of: "//[^/?#]*@", with: "//", options: .regularExpression)
            throw CustodyError.invalidInput(field: field, "\(field): "
                                            + "\(error)".replacingOccurrences(of: text, with: shown))
        }
        var mode: S3ChunkStore.ObjectLock.Mode?
        if let lock = url.queryItems?.first(where: { $0.name == "lock" })?.value {
            guard let parsed = S3ChunkStore.ObjectLock.Mode(rawValue: lock.uppercased()) else {
                throw CustodyError.invalidInput(field: field, "\(field): lock= must be compliance or governance")
            }
            mode = parsed
        }
        self = .s3(location, lock: mode)
    }

    /// The same store trusting `caFile` for its endpoint's certificate (nil: the system's CAs). A file store is
    /// itself. What the primary tells remote workers is `withCAFile(nil)`: its CA path is its own machine's.
    public func withCAFile(_ caFile: String?) -> StoreLocation {
        guard case .s3(let location, let lock) = self else { return self }
        return .s3(location.withCAFile(caFile), lock: lock)
    }

    public var description: String {
        switch self {
        case .files: return "files"
        case .s3(let location, let lock):
            return location.description + (lock.map { "&lock=\($0.rawValue.lowercased())" } ?? "")
        }
    }
}
