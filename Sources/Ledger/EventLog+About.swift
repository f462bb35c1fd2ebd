import SQLite

extension EventLog {
    /// The events of the first `size` that name one of `exhibits`, one of `cases` (letter case aside), or
    /// one of `bundles` in their details (`bundle`: queued, revoked, built, a landing page seen, each
    /// download response), oldest first: what a custody report shows. The bundles' events are found by
    /// reading every event's details (no index holds them): about a second a million events.
    public func events(exhibits: [String], cases: [String], bundles: [String], below size: UInt64) throws
        -> [CustodyEvent] {
        func list(_ values: [String]) -> String { values.map { _ in "?" }.joined(separator: ", ") }
        var terms = [String](), values = [SQLValue]()
        if !exhibits.isEmpty {
            terms.append("exhibit IN (\(list(exhibits)))")
            values += exhibits.map { .text($0) }
        }
        if !cases.isEmpty {
            terms.append("case_id COLLATE NOCASE IN (\(list(cases)))")
            values += cases.map { .text($0) }
        }
        if !bundles.isEmpty {
            terms.append("json_extract(details, '$.bundle') IN (\(list(bundles)))")
            values += bundles.map { .text($0) }
        }
        guard !terms.isEmpty else { return [] }
        return try db.query("SELECT \(Self.columns) FROM events WHERE seq < ? AND (\(terms.joined(separator: " OR ")))"
                            + " ORDER BY seq", [.integer(Int64(clamping: size))] + values).map(Self.decode)
    }
}
