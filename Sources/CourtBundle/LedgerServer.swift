import CustodyCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the verifier asks for the ledger's key, newest checkpoint and consistency proofs: the public
/// `/ledger/` endpoints of a custody server.
public protocol LedgerServer {
    /// The body of a successful GET of `path` (with its query), as text.
    func get(_ path: String) throws -> String
}

/// A custody server at `base` (http or https), through Foundation's URLSession (libcurl on Linux):
/// plain GETs with a timeout, bodies capped, certificates checked as the system trusts them.
public struct HTTPLedgerServer: LedgerServer {
    public let base: URL
    static let maxBody = 1 << 20
    static let timeout: TimeInterval = 30

    public init(_ text: String) throws {
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text),
              ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil, url.query == nil else {
            throw CustodyError.invalidInput(field: "server", "the server must be an http:// or https:// URL: \(text)")
        }
        base = url
    }

    public func get(_ path: String) throws -> String {
        let where_ = base.absoluteString + path
        guard let url = URL(string: where_) else {
            throw CustodyError.invalidInput(field: "server", "\(where_) is no URL")
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: Self.timeout)
        request.httpMethod = "GET"
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        nonisolated(unsafe) var result: (Data?, URLResponse?, (any Error)?)
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            result = (data, response, error)
            done.signal()
        }.resume()
        done.wait()
        if let error = result.2 {
            throw CustodyError.failure("GET \(where_) failed: \(error.localizedDescription)")
        }
        guard let http = result.1 as? HTTPURLResponse, let data = result.0 else {
            throw CustodyError.failure("GET \(where_) gave no HTTP response")
        }
        guard http.statusCode == 200 else {
            throw CustodyError.failure("GET \(where_) answered \(http.statusCode): "
                                       + String(decoding: data.prefix(200), as: UTF8.self))
        }
        guard data.count <= Self.maxBody, let text = String(data: data, encoding: .utf8) else {
            throw CustodyError.failure("GET \(where_) gave a body that is not UTF-8 text of at most 1 MiB")
        }
        return text
    }
}
