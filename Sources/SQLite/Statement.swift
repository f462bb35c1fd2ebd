import CSQLite

/// A value bound to or read from SQL.
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }

    /// `.text` for a value, `.null` for nil.
    public static func optional(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
    public static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }
}

/// One result row, read by column index.
public struct Row: Sendable {
    public let values: [SQLValue]

    public subscript(_ index: Int) -> SQLValue { values[index] }

    public func int(_ i: Int) -> Int64? { if case .integer(let v) = values[i] { return v } else { return nil } }
    public func double(_ i: Int) -> Double? {
        switch values[i] {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: return nil
        }
    }
    public func text(_ i: Int) -> String? { if case .text(let v) = values[i] { return v } else { return nil } }
    public func blob(_ i: Int) -> [UInt8]? { if case .blob(let v) = values[i] { return v } else { return nil } }
}

/// A compiled SQL statement owned by its connection; finalized on deinit.
public final class Statement {
    private let handle: OpaquePointer
    private let database: Database
    public let sql: String

    init(database: Database, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(database.handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw database.error(rc, "preparing \(sql)") }
        self.handle = stmt
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to its parameters in order (1-based in SQL).
    public func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .real(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, custody_sqlite_transient())
            case .blob(let v):
                rc = v.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                      Int32(raw.count), custody_sqlite_transient())
                }
            }
            if rc != SQLITE_OK { throw database.error(rc, "binding parameter \(index) of \(sql)") }
        }
    }

    /// Steps once: the next row, or nil when done.
    public func next() throws -> Row? {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return readRow()
        case SQLITE_DONE: return nil
        default:
            let err = database.error(rc, sql)
            sqlite3_reset(handle)
            throw err
        }
    }

    /// Runs a statement that returns no rows.
    public func run(_ values: [SQLValue] = []) throws {
        try bind(values)
        while try next() != nil {}
        sqlite3_reset(handle)
    }

    /// Ends a partly read result so the statement can run again (and releases its read snapshot).
    public func reset() { sqlite3_reset(handle) }

    /// Every remaining row.
    public func all() throws -> [Row] {
        var rows = [Row]()
        while let row = try next() { rows.append(row) }
        sqlite3_reset(handle)
        return rows
    }

    private func readRow() -> Row {
        let count = sqlite3_column_count(handle)
        var values = [SQLValue]()
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(handle, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(handle, i)))
            case SQLITE_TEXT:
                // By its length, not up to the first NUL: text with a NUL inside must not read as shorter.
                let p = sqlite3_column_text(handle, i)
                let n = Int(sqlite3_column_bytes(handle, i))
                values.append(.text(p.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: n), as: UTF8.self) } ?? ""))
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(handle, i))
                if let p = sqlite3_column_blob(handle, i), n > 0 {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(values: values)
    }
}
