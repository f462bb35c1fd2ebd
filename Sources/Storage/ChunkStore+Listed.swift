import CustodyCore

extension ChunkStore {
    /// Those of `names` the store does not list, in ascending order: one walk of the store's listing beside the
    /// sorted names (a request per page of names, not one per name: for an object store, a thousand times fewer
    /// round trips than asking `exists` of each). It says a chunk is there, not that its bytes are intact.
    public func unlisted(_ names: some Sequence<SHA256Digest>, pageSize: Int = 1000) throws -> [SHA256Digest] {
        let wanted = Set(names).sorted()
        var missing: [SHA256Digest] = []
        var index = 0
        var cursor: SHA256Digest?
        while index < wanted.count {
            let page = try list(after: cursor, limit: pageSize)
            for name in page {
                while index < wanted.count && wanted[index] < name {
                    missing.append(wanted[index])
                    index += 1
                }
                if index < wanted.count && wanted[index] == name { index += 1 }
            }
            guard page.count == pageSize, let last = page.last else { break }
            cursor = last
        }
        return missing + wanted[index...]
    }
}
