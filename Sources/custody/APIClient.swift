import CustodyCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CLI's side of the officers' API (`/api/v1/`), over Foundation's URLSession (libcurl on Linux):
/// the bearer token from `$CUSTODY_TOKEN`, certificates checked as the system trusts them, bodies
/// streamed both ways (an upload from its file, a download to a descriptor as it arrives).
final class APIClient: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// What came back: the status, headers, and the body unless it was streamed to `sink`.
    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: Data
    }

    let base: URL
    private let token: String
    /// How long the connection may stay silent: a redaction runs for minutes or hours before it answers.
    static let timeout: TimeInterval = 7 * 3600
    /// Largest answer kept in memory (a command's printed output, as JSON).
    static let maxBody = 96 << 20

    private let lock = NSLock()
    private var answer: (status: Int, headers: [String: String])?
    private var body = Data()
    private var failure: (any Error)?
    private var sink: ((Data) throws -> Void)?
    private var sent: ((Int64, Int64) -> Void)?
    private let done = DispatchSemaphore(value: 0)

    /// `tokenPrefix` and `tokenHelp`: what kind of token the caller must give (an officer's `cot_` by
    /// default; a remote worker's `cwt_`), and where it comes from, for the error.
    init(server: String, token: String, tokenPrefix: String = "cot_",
         tokenHelp: String = "CUSTODY_TOKEN must hold your personal officer token (cot_...), which `custody officer "
            + "add` or `officer token` prints") throws {
        let text = server.hasSuffix("/") ? String(server.dropLast()) : server
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              url.host != nil, url.query == nil else {
            throw CustodyError.invalidInput(field: "--server", "--server must be an http:// or https:// URL, not "
                                            + String(server.prefix(200)))
        }
        guard token.hasPrefix(tokenPrefix) else {
            throw CustodyError.invalidInput(field: "token", tokenHelp)
        }
        base = url
        self.token = token
    }

    /// `POST path` with a JSON body.
    func post(_ path: String, json: [String: Any]) throws -> Answer {
        var request = try self.request(path, query: [])
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        return try perform { $0.dataTask(with: request) }
    }

    /// `POST path?query` with the file at `file` as the body, read as it is sent.
    func upload(_ path: String, query: [(String, String)], file: String,
                progress: ((Int64, Int64) -> Void)? = nil) throws -> Answer {
        var request = try self.request(path, query: query)
        request.httpMethod = "POST"
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        sent = progress
        return try perform { $0.uploadTask(with: request, fromFile: URL(fileURLWithPath: file)) }
    }

    /// `GET path?query`, the body kept in the answer (at most `maxBody` bytes).
    func get(_ path: String, query: [(String, String)]) throws -> Answer {
        var request = try self.request(path, query: query)
        request.httpMethod = "GET"
        return try perform { $0.dataTask(with: request) }
    }

    /// `GET path?query`; a 200 body goes to `sink` as it arrives, any other is kept in the answer.
    func download(_ path: String, query: [(String, String)], to sink: @escaping (Data) throws -> Void) throws
        -> Answer {
        var request = try self.request(path, query: query)
        request.httpMethod = "GET"
        self.sink = sink
        return try perform { $0.dataTask(with: request) }
    }

    private func request(_ path: String, query: [(String, String)]) throws -> URLRequest {
        var text = base.absoluteString + path
        if !query.isEmpty {
            text += "?" + query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        guard let url = URL(string: text) else {
            throw CustodyError.invalidInput(field: "--server", "\(text.prefix(200)) is no URL")
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: Self.timeout)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        return request
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters (`+` too: the server reads it as a space).
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn:
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
    }

    private func perform(_ make: (URLSession) -> URLSessionTask) throws -> Answer {
        lock.lock()
        (answer, body, failure) = (nil, Data(), nil)
        lock.unlock()
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        make(session).resume()
        done.wait()
        lock.lock()
        defer {
            (sink, sent) = (nil, nil)  // what they hold (a file being received) is the caller's again
            lock.unlock()
        }
        if let failure {
            if failure is CustodyError { throw failure }
            throw CustodyError.failure("the server \(base.absoluteString) could not be reached or stopped "
                                       + "answering: \(failure.localizedDescription)")
        }
        guard let answer else {
            throw CustodyError.failure("the server \(base.absoluteString) gave no HTTP answer")
        }
        return Answer(status: answer.status, headers: answer.headers, body: body)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        var headers = [String: String]()
        for (name, value) in http?.allHeaderFields ?? [:] {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        lock.lock()
        answer = (http?.statusCode ?? 0, headers)
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        if answer?.status == 200, let sink {
            do { try sink(data) } catch {
                failure = error
                dataTask.cancel()
            }
            return
        }
        guard body.count + data.count <= Self.maxBody else {
            failure = CustodyError.failure("the server's answer is larger than \(Self.maxBody) bytes")
            dataTask.cancel()
            return
        }
        body += data
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        sent?(totalBytesSent, totalBytesExpectedToSend)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.lock()
        if failure == nil, let error { failure = error }
        lock.unlock()
        done.signal()
    }
}
