import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger
import Media
import MediaModel
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Vault {
    /// Makes a derived exhibit from `exhibit` as `specBytes` (a JSON `RedactionSpec`) says: libavformat
    /// reads the source straight from the chunk store (each chunk checked against its SHA-256 as it is
    /// loaded, and only the chunks the clip needs), the result is written to a private work folder
    /// under the scratch folder `tmp/` and ingested with its parent's SHA-256, the spec's SHA-256 and the
    /// spec text.
    /// Two `redact` events: one on the parent before its bytes are read (`role=source`), one on the
    /// derived exhibit in the transaction that catalogs it. The original is never touched. Temp files
    /// are removed on success, failure and cancellation (and, after a crash, when the vault is next opened).
    ///
    /// Refusals (unreadable exhibit, invalid spec) and failures are custody events too. `details` go into
    /// every event it records (a court bundle's job names its `bundle`, so a report can tell those apart).
    /// - Throws: `CustodyError` (refused: unreadable exhibit; invalid input: the spec, an unsupported source; failure:
    ///   libav*, I/O), or `RedactionError.cancelled` when `isCancelled` returned true: nothing is stored.
    public func redact(_ exhibit: Exhibit, spec specBytes: [UInt8], reason: String, actor: Actor,
                       details: [String: String] = [:], progress: ((Double) -> Void)? = nil,
                       isCancelled: (() -> Bool)? = nil) throws -> IngestResult {
        try authorize(actor, to: .redact, exhibit: exhibit)
        let specSHA256 = SHA256.hash(specBytes)
        func event(_ outcome: CustodyEvent.Outcome, _ why: String) {
            _ = try? record(CustodyEvent(actor: actor, action: .redact, exhibit: exhibit.id,
                                         objectSHA256: exhibit.sha256.hex, outcome: outcome, reason: why,
                                         details: details.merging(["spec_sha256": specSHA256.hex,
                                                                   "request_reason": reason]) { $1 }))
        }
        guard let bounds = Self.redactionBounds(of: exhibit) else {
            let why = exhibit.status == .unreadable
                ? "exhibit \(exhibit.id) is unreadable (\(exhibit.unreadableReason ?? "no reason recorded")), so it "
                  + "cannot be redacted; its original bytes can still be exported"
                : "exhibit \(exhibit.id) has no video stream to redact"
            event(.refused, why)
            throw CustodyError.refused(why)
        }
        let spec: RedactionSpec
        do {
            spec = try RedactionSpec.parse(specBytes, bounds: bounds)
        } catch let e as RedactionSpecError {
            event(.refused, "invalid redaction spec: \(e)")
            throw CustodyError.invalidInput(field: "spec", "the redaction spec is invalid: \(e)")
        }
        let anchored: AnchoredExhibit
        do { anchored = try self.anchored(exhibit) } catch let e as CustodyError where e.kind == .integrity {
            event(.refused, e.message)  // the catalog disagrees with the ledger: its bytes are not read
            throw e
        }
        // Reading the original is an access: its event comes first, on the parent, and the derived
        // exhibit gets its own `redact` event when it is catalogued.
        try record(CustodyEvent(actor: actor, action: .redact, exhibit: exhibit.id, objectSHA256: exhibit.sha256.hex,
                                reason: reason,
                                details: details.merging(["role": "source", "spec_sha256": specSHA256.hex]) { $1 }))
        let work = directory.scratch + "/" + Scratch.name("-redact")
        do { try FS.mkdir(work, 0o700) } catch { throw CustodyError.failure("cannot create \(work)", cause: error) }
        defer { try? FileManager.default.removeItem(atPath: work) }
        do {
            let output = work + "/redacted.mp4"
            let source = try ExhibitSource(vault: self, anchored: anchored)
            let made = try Redactor.redact(source: source, output: output, spec: spec, progress: progress,
                                           isCancelled: isCancelled)
            if isCancelled?() == true { throw RedactionError.cancelled }
            let derived = Self.derivedSource(of: exhibit, spec: specBytes, reason: reason, details: details,
                                             damagedPackets: made.damagedPackets, droppedStreams: made.droppedStreams)
            return try storeFile(path: output, source: derived, actor: actor)
        } catch let e as RedactionError where e.kind == .cancelled {
            event(.failed, "cancelled; nothing was stored")
            throw e
        } catch let e as RedactionError {
            event(.failed, e.message)
            throw CustodyError.invalidInput(field: "exhibit", "cannot redact \(exhibit.id): \(e.message)")
        } catch let e as MediaError {
            event(.failed, e.description)
            throw CustodyError.failure("redacting \(exhibit.id) failed: \(e.description)")
        } catch {
            event(.failed, (error as? CustodyError)?.message ?? String(describing: error))
            throw error
        }
    }

    /// What a redaction of `exhibit` with `specBytes` is catalogued as (here, or from a remote worker's
    /// report): its name, its parent's SHA-256, the spec and its SHA-256, and `details` and how it was made
    /// as notes for its `redact` event.
    static func derivedSource(of exhibit: Exhibit, spec specBytes: [UInt8], reason: String, details: [String: String],
                              damagedPackets: Int, droppedStreams: [String]) -> IngestSource {
        let specSHA256 = SHA256.hash(specBytes)
        let stem = ((exhibit.filename ?? exhibit.id) as NSString).deletingPathExtension
        let name = "\(stem).redacted-\(specSHA256.hex.prefix(8)).mp4"
        var derived = IngestSource(
            filename: name, device: exhibit.device, capturedAt: exhibit.capturedAt, parentSHA256: exhibit.sha256,
            specSHA256: specSHA256, spec: String(decoding: specBytes, as: UTF8.self), reason: reason)
        derived.notes.merge(details) { $1 }
        if damagedPackets > 0 { derived.notes["damaged_packets_skipped"] = String(damagedPackets) }
        if !droppedStreams.isEmpty {
            derived.notes["dropped_streams"] = droppedStreams.joined(separator: Self.droppedStreamSeparator)
        }
        return derived
    }

    /// Joins the stream descriptions in the `dropped_streams` detail of a derived exhibit's event.
    public static let droppedStreamSeparator = "; "
}
