import Foundation

/// Step 5: each clip's provenance against the manifest's SHA-256 and the events that created it.
extension BundleVerifier {
    func checkProvenance() throws {
        let info = try json(BundleLayout.bundleInfo)
        report.caseRef = info["case"] as? String
        guard info["bundle"] as? String == report.bundle else {
            throw BundleFailure(.provenance, "\(BundleLayout.bundleInfo) names bundle \(info["bundle"] ?? "none"), not "
                                + "the folder's \(report.bundle ?? "")", entry: BundleLayout.bundleInfo)
        }
        guard (info["checkpoint_size"] as? NSNumber)?.uint64Value == checkpoint.size,
              info["origin"] as? String == checkpoint.origin else {
            throw BundleFailure(.provenance, "\(BundleLayout.bundleInfo) names another checkpoint size or origin than "
                                + "\(BundleLayout.checkpoint) (\(checkpoint.size), \(checkpoint.origin))",
                                entry: BundleLayout.bundleInfo)
        }
        guard let exhibits = info["exhibits"] as? [String] else {
            throw BundleFailure(.provenance, "\(BundleLayout.bundleInfo) lists no exhibits",
                                entry: BundleLayout.bundleInfo)
        }
        guard Set(exhibits).count == exhibits.count else {
            throw BundleFailure(.provenance, "\(BundleLayout.bundleInfo) lists an exhibit twice",
                                entry: BundleLayout.bundleInfo)
        }
        var clips = Set<String>()
        for exhibit in exhibits { clips.insert(try checkExhibit(exhibit)) }
        for path in files.keys where path.hasPrefix("data/") && path != BundleLayout.readme && !clips.contains(path) {
            throw BundleFailure(.provenance, "\(path) is the clip of no exhibit in \(BundleLayout.bundleInfo)",
                                entry: path)
        }
        report.checked["exhibits"] = exhibits.count
    }

    /// Returns the clip's path.
    private func checkExhibit(_ id: String) throws -> String {
        let path = BundleLayout.provenance(id)
        func fail(_ why: String, entry: String = path, seq: Int64? = nil) -> BundleFailure {
            BundleFailure(.provenance, "exhibit \(id): \(why)", entry: entry, exhibit: id, seq: seq)
        }
        let p = try json(path)
        guard p["exhibit"] as? String == id, let clip = p["file"] as? String, clip.hasPrefix("data/"),
              let sha = p["sha256"] as? String, let seq = (p["creation_event"] as? NSNumber)?.int64Value else {
            throw fail("\(path) lacks exhibit, file, sha256 or creation_event")
        }
        guard let digest = digests[clip] else { throw fail("its clip \(clip) is missing", entry: clip) }
        guard digest.hex == sha else { throw fail("the SHA-256 of \(clip) is not its provenance's", entry: clip) }
        guard let size = p["size"] as? NSNumber, size.uint64Value == files[clip]!.size else {
            throw fail("the size of \(clip) is not its provenance's", entry: clip)
        }
        let creation = try creationEvent(seq, exhibit: id, sha256: sha, fail)
        // What the ledger says made the clip (a redaction: its parent and spec) the provenance must show.
        guard creation.details["parent_sha256"] == nil || p["parent"] is [String: Any] else {
            throw fail("\(path) shows no parent, but its creation event \(seq) names one")
        }
        guard creation.details["spec_sha256"] == nil || p["spec_sha256"] is String else {
            throw fail("\(path) shows no spec_sha256, but its creation event \(seq) names one")
        }
        if let parent = p["parent"] as? [String: Any] {
            guard let parentID = parent["exhibit"] as? String, let parentSHA = parent["sha256"] as? String,
                  let parentSeq = (parent["creation_event"] as? NSNumber)?.int64Value else {
                throw fail("its parent lacks exhibit, sha256 or creation_event")
            }
            _ = try creationEvent(parentSeq, exhibit: parentID, sha256: parentSHA, fail)
            guard creation.details["parent_sha256"] == parentSHA else {
                throw fail("its creation event names another parent", entry: BundleLayout.events, seq: seq)
            }
        } else if !(p["parent"] is NSNull) {
            throw fail("\(path)'s parent is neither null nor an object")
        }
        if let spec = p["spec_sha256"] as? String {
            let specPath = BundleLayout.spec(id)
            guard let specDigest = digests[specPath] else { throw fail("\(specPath) is missing", entry: specPath) }
            guard specDigest.hex == spec else {
                throw fail("\(specPath) does not hash to its spec_sha256", entry: specPath)
            }
            guard creation.details["spec_sha256"] == spec else {
                throw fail("its redact event names another spec", entry: BundleLayout.events, seq: seq)
            }
        }
        return clip
    }

    /// The event at `seq` in events.jsonl, which must have created `exhibit` with `sha256`.
    private func creationEvent(_ seq: Int64, exhibit: String, sha256: String,
                               _ fail: (String, String, Int64?) -> BundleFailure) throws -> EventLine {
        guard let event = events[seq] else {
            throw fail("creation event \(seq) of \(exhibit) is not in \(BundleLayout.events)", BundleLayout.events, seq)
        }
        guard ["ingest", "redact"].contains(event.action), event.outcome == "ok", event.exhibit == exhibit,
              event.objectSHA256 == sha256, event.details["role"] == nil else {
            throw fail("event \(seq) did not create \(exhibit) with SHA-256 \(sha256)", BundleLayout.events, seq)
        }
        return event
    }

    private func json(_ path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(try contents(path, step: .provenance)))
            as? [String: Any] else {
            throw BundleFailure(.provenance, "\(path) is no JSON object", entry: path)
        }
        return object
    }
}
