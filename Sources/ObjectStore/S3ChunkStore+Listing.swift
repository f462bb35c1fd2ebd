import CustodyCore
import Foundation
import Storage

extension S3ChunkStore: DatedChunkListing {
    public func list(after cursor: SHA256Digest?, limit: Int) throws -> [SHA256Digest] {
        try listDated(after: cursor, limit: limit).map(\.digest)
    }

    /// ListObjectsV2 from after `cursor`: S3 lists keys in ascending UTF-8 order, which for hex names is the
    /// digests' order. Keys under the prefix that are not chunk names are skipped. Each with its LastModified.
    public func listDated(after cursor: SHA256Digest?, limit: Int) throws -> [DatedChunk] {
        precondition(limit > 0)
        let prefix = client.location.prefix
        var found: [DatedChunk] = []
        var after = cursor.map { prefix + $0.hex }
        while found.count < limit {
            var request = S3Client.Request("GET", key: nil, operation: "listing of chunks")
            request.query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(limit - found.count))]
            if let after { request.query.append(("start-after", after)) }
            let text = try client.performText(request)
            let entries = XMLText.all("Contents", in: text)
            let keys = entries.compactMap { XMLText.first("Key", in: $0) }
            found += entries.compactMap { entry -> DatedChunk? in
                guard let key = XMLText.first("Key", in: entry), key.hasPrefix(prefix) else { return nil }
                let name = String(key.dropFirst(prefix.count))
                guard let digest = SHA256Digest(hex: name), digest.hex == name else { return nil }
                // An unreadable date counts as now: `store gc` leaves such an object alone.
                let modified = XMLText.first("LastModified", in: entry).flatMap(Self.date) ?? Date()
                return DatedChunk(digest: digest, modified: modified)
            }
            guard XMLText.first("IsTruncated", in: text) == "true", let last = keys.last else { break }
            after = last
        }
        return found
    }
}

extension S3ChunkStore {
    /// Deletes the chunk's object, every version of it in a versioned bucket (a plain DELETE there would only
    /// hide it behind a delete marker). A version under Object Lock or legal hold is refused by the server
    /// (403 AccessDenied): that is `ChunkStoreError.deletionRefused`, and the chunk stays whole.
    public func delete(_ digest: SHA256Digest) throws {
        forgetEarly(digest)  // an upload's `adopt` must send it again
        let key = digest.hex
        let versions: [String?] = versioned ? try self.versions(of: key) : [nil]
        for version in versions {
            var request = S3Client.Request("DELETE", key: key, operation: "DELETE of chunk \(digest)")
            if let version { request.query = [("versionId", version)] }
            do {
                try client.perform(request, expected: [404])
            } catch let error as S3Error where error.status == 403 && error.code == "AccessDenied" {
                // Object Lock's answer; any other 403 (a bad signature, a skewed clock) is an error of its own.
                throw ChunkStoreError.deletionRefused(digest, reason: error.description)
            }
        }
    }

    /// The version IDs of exactly `key` (delete markers included), from ListObjectVersions, every page.
    func versions(of key: String) throws -> [String] {
        let name = client.location.prefix + key
        var ids: [String] = []
        var markers: [(name: String, value: String)] = []
        while true {
            var request = S3Client.Request("GET", key: nil, operation: "versions of \(key)")
            request.query = [("versions", ""), ("prefix", name)] + markers
            let text = try client.performText(request)
            for element in ["Version", "DeleteMarker"] {
                for entry in XMLText.all(element, in: text) where XMLText.first("Key", in: entry) == name {
                    if let id = XMLText.first("VersionId", in: entry) { ids.append(id) }
                }
            }
            guard XMLText.first("IsTruncated", in: text) == "true",
                  let nextKey = XMLText.first("NextKeyMarker", in: text) else { return ids }
            markers = [("key-marker", nextKey)]
            if let nextVersion = XMLText.first("NextVersionIdMarker", in: text) {
                markers.append(("version-id-marker", nextVersion))
            }
        }
    }
}

extension S3Client {
    /// Performs `request` and returns its body as text (listings and configurations: at most 16 MiB).
    func performText(_ request: Request) throws -> String {
        try performText(request, absentOn: [])!
    }

    /// `performText`, but a status in `absentOn` (no such configuration) gives nil instead of an error.
    func performText(_ request: Request, absentOn statuses: Set<Int>) throws -> String? {
        var body: [UInt8] = []
        let response = try perform(request, expected: statuses, restart: { body.removeAll(keepingCapacity: true) }) {
            _, piece in
            guard body.count + piece.count <= 16 << 20 else {
                throw S3Error(status: 200, code: "TooLarge", message: "more than 16 MiB", operation: request.operation)
            }
            body += piece
        }
        return statuses.contains(response.status) ? nil : String(decoding: body, as: UTF8.self)
    }
}
