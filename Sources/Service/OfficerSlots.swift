import Foundation
import HTTPServer

/// How many API commands and uploads each officer has under way, at most `limit` at once: one officer
/// (or a stolen token) cannot take every command slot of the server, or fill its disk with uploads
/// received side by side. An upload takes its place before its body is received.
final class OfficerSlots: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var taken: [String: Int] = [:]

    init(limit: Int) { self.limit = limit }

    /// Takes a place for `officer` and returns what gives it back (call it once), or refuses with 429.
    func take(_ officer: String) throws -> () -> Void {
        lock.lock()
        defer { lock.unlock() }
        guard taken[officer, default: 0] < limit else {
            throw APIRefusal(HTTPStatus(code: 429), "you have \(limit) commands or uploads under way on this server, "
                             + "as many as it runs for one officer at once: wait for one to end", exit: 3)
        }
        taken[officer, default: 0] += 1
        return { [self] in
            lock.lock()
            defer { lock.unlock() }
            taken[officer, default: 1] -= 1
            if taken[officer] == 0 { taken[officer] = nil }
        }
    }
}
