import Crypto
import Foundation

/// How often and how long to ask again after a busy or failed answer: exponential backoff with full jitter
/// (a random wait between 0 and min(cap, base × 2^attempt)).
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var base: Double
    public var cap: Double
    public var sleep: @Sendable (Double) -> Void

    public init(attempts: Int = 6, base: Double = 0.05, cap: Double = 5,
                sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self.sleep = sleep
    }

    func wait(before attempt: Int) {
        sleep(Double.random(in: 0...min(cap, base * Double(1 << min(attempt, 20)))))
    }
}

/// The S3 requests custody makes, signed with SigV4, retried where that is safe (every one here is idempotent:
/// PUT of a content-addressed object, GET, HEAD, DELETE, listing). Thread-safe: connections come from a pool.
public final class S3Client: @unchecked Sendable {
    public let location: S3Location
    private let signer: SigV4
    private let http: HTTPClient
    let retry: RetryPolicy
    let now: @Sendable () -> Date

    /// Throws when the location's CA file cannot be loaded. `timeout` bounds each wait for the next byte,
    /// `deadline` each whole request (a request past it is a timeout, asked again like one).
    public init(location: S3Location, credentials: S3Credentials, retry: RetryPolicy = RetryPolicy(),
                timeout: Double = 30, deadline: RequestDeadline = RequestDeadline(),
                now: @escaping @Sendable () -> Date = Date.init) throws {
        self.location = location
        signer = SigV4(credentials: credentials, region: location.region)
        let tls = location.secure ? try TLSClientContext(caFile: location.caFile) : nil
        http = HTTPClient(host: location.host, port: location.port, tls: tls, timeout: timeout, deadline: deadline)
        self.retry = retry
        self.now = now
    }

    /// One request to make: the object's key under the prefix (nil for the bucket itself).
    public struct Request {
        public var method: String
        public var key: String?
        public var query: [(name: String, value: String)] = []
        public var fields: [(name: String, value: String)] = []
        public var payloadHash = SigV4.emptyPayloadHash
        public var operation: String

        public init(_ method: String, key: String?, operation: String) {
            self.method = method
            self.key = key
            self.operation = operation
        }
    }

    /// Sends `request` until it gets an answer that is not busy or failed (or the attempts run out) and returns
    /// it; a 2xx body goes to `sink` with its offset (from 0 again on each attempt), any other body is kept for
    /// the error. Statuses in `expected` other than 2xx (404 for HEAD, say) are returned, not thrown. `restart`
    /// runs before each attempt, so a caller gathering the body can drop what a failed attempt gave it.
    @discardableResult
    public func perform(_ request: Request, body: UnsafeRawBufferPointer? = nil, expected: Set<Int> = [],
                        restart: () -> Void = {},
                        sink: (Int, UnsafeRawBufferPointer) throws -> Void = { _, _ in }) throws
        -> HTTPClientResponse {
        var attempt = 0
        while true {
            restart()
            do {
                var errorBody: [UInt8] = []
                var offset = 0
                var ok = false
                let response = try http.send(request.method, target(request), fields: signedFields(request),
                                             body: body) { piece in
                    if ok {
                        try sink(offset, piece)
                        offset += piece.count
                    } else if errorBody.count < 64 << 10 {
                        errorBody += piece.prefix(64 << 10 - errorBody.count)
                    }
                } head: { status in ok = (200...299).contains(status) }
                if ok || expected.contains(response.status) { return response }
                let error = S3Error(status: response.status, body: errorBody, operation: request.operation)
                guard error.isRetryable, attempt + 1 < retry.attempts else { throw error }
            } catch let error as HTTPClientError where error.isRetryable && attempt + 1 < retry.attempts {
                _ = error
            }
            retry.wait(before: attempt)
            attempt += 1
        }
    }

    /// `/BUCKET/PREFIXKEY`, encoded once; `/BUCKET/` for the bucket.
    func path(_ request: Request) -> String {
        SigV4.encodePath(location.bucket + "/" + (request.key.map { location.prefix + $0 } ?? ""))
    }

    func target(_ request: Request) -> String {
        let query = SigV4.canonicalQuery(request.query)
        return query.isEmpty ? path(request) : path(request) + "?" + query
    }

    /// The request's fields plus `x-amz-date`, `x-amz-content-sha256` and `Authorization`, all but the last signed.
    func signedFields(_ request: Request) -> [(name: String, value: String)] {
        let date = now()
        let fields = request.fields + [("host", http.hostField), ("x-amz-date", SigV4.amzDate(date)),
                                       ("x-amz-content-sha256", request.payloadHash)]
        let signed = signer.sign(SigV4Request(method: request.method, path: path(request), query: request.query,
                                              headers: fields, payloadHash: request.payloadHash), at: date)
        return fields + [("Authorization", signed.authorization)]
    }
}
