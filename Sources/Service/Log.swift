import CustodyCore
import Foundation

/// Structured logs: one JSON object per line on stderr, keys sorted. Callers pass only fields that
/// are safe to log; tokens, link signatures and Authorization headers are never given to it.
public final class Log: @unchecked Sendable {
    public enum Level: String, Sendable { case debug, info, warning, error }

    private let lock = NSLock()
    private let write: @Sendable (String) -> Void
    public let minimum: Level

    public init(minimum: Level = .info, write: @escaping @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }) {
        self.minimum = minimum
        self.write = write
    }

    public func log(_ level: Level, _ message: String, _ fields: [String: Any] = [:]) {
        guard Self.rank(level) >= Self.rank(minimum) else { return }
        var object = fields
        object["time"] = Timestamp.rfc3339()
        object["level"] = level.rawValue
        object["msg"] = message
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{\"level\":\"error\",\"msg\":\"unloggable fields\"}".utf8)
        lock.lock()
        defer { lock.unlock() }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    public func info(_ message: String, _ fields: [String: Any] = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [String: Any] = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [String: Any] = [:]) { log(.error, message, fields) }

    private static func rank(_ level: Level) -> Int {
        switch level {
        case .debug: return 0
        case .info: return 1
        case .warning: return 2
        case .error: return 3
        }
    }
}
