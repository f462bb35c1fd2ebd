import Catalog
import CustodyCore
import Foundation
import Ledger
import Vault

struct IngestCommand: Command {
    static let name = "ingest"
    static let summary = "Store recordings in the vault: hash, chunk, probe and catalogue each file."
    static let usage = """
        ingest FILE... --device ID [--officer ID] [--captured-at RFC3339] [--chunk-size BYTES] [--as ID]
               [--data DIR] [--json]

        --officer names who wore the camera when another officer ingests the card: an officer (role)
        sees and exports only the recordings they made. Each file is read once. A file already in the
        vault (same SHA-256) stores nothing new and says so.
        A damaged or non-video file is still stored, flagged `unreadable` with the reason.
        """
    static let refusalAction: CustodyEvent.Action? = .ingest
    static let options: [OptionSpec] = [
        .option("device", "ID", "camera or dock the recordings came from (required)"),
        .option("officer", "ID", "the officer who recorded them (default: the one ingesting, --as)"),
        .option("captured-at", "RFC3339", "when they were recorded (default: the container's creation time)"),
        .option("chunk-size", "BYTES", "chunk size, 64 KiB to 64 MiB (default 4 MiB)"),
        .actor, .data, .json,
    ]

    let args: Arguments
    let files: [String]
    let device: String
    let capturedAt: String?
    let officer: String?
    let chunkSize: Int

    init(_ args: Arguments) throws {
        guard !args.positionals.isEmpty else { throw CustodyError.invalidInput(field: "arguments",
            "missing FILE: name one or more recordings") }
        guard let device = args.value("device") else { throw CustodyError.invalidInput(field: "--device",
            "missing --device ID") }
        guard Actor.isValidID(device) else {
            throw CustodyError.invalidInput(field: "--device",
                                            "--device must be 1-64 letters, digits or ._@- characters")
        }
        if let officer = args.value("officer"), !Actor.isValidID(officer) {
            throw CustodyError.invalidInput(field: "--officer",
                                            "--officer must be 1-64 letters, digits or ._@- characters")
        }
        officer = args.value("officer")
        if let text = args.value("captured-at") {
            guard let normal = Timestamp.normalize(text) else {
                throw CustodyError.invalidInput(field: "--captured-at",
                                                "--captured-at \(text.prefix(100)) is not an RFC 3339 time like "
                                         + "2026-11-01T09:15:00Z")
            }
            capturedAt = normal
        } else {
            capturedAt = nil
        }
        self.chunkSize = try args.int("chunk-size", in: (64 << 10)...Vault.maxChunkSize) ?? Vault.defaultChunkSize
        self.args = args
        self.files = args.positionals
        self.device = device
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let actor = Context.acting(args)
        try vault.authorize(actor, to: .ingest)
        var results = [[String: Any]]()
        var failures = 0
        var stop: CustodyError?
        for file in files {
            let bar = ProgressBar((file as NSString).lastPathComponent.escapedForTerminal)
            do {
                let source = IngestSource(filename: (file as NSString).lastPathComponent, device: device,
                                          capturedAt: capturedAt, officer: officer)
                let r = try vault.ingest(path: Context.inputFile(file, field: "arguments"), source: source,
                                         actor: actor, chunkSize: chunkSize,
                                         progress: bar.update)
                bar.finish()
                let warnings = warnings(r.exhibit, file: file)
                warnings.forEach { Output.note("warning: \($0)") }
                results.append(["file": file, "id": r.exhibit.id, "sha256": r.exhibit.sha256.hex,
                                "size": r.exhibit.size, "duplicate": r.duplicate, "status": r.exhibit.status.rawValue,
                                "repaired_chunks": r.repairedChunks.map(\.hex),
                                "repaired_catalog": r.repairedCatalog != nil, "restored": r.restored != nil,
                                "warnings": warnings])
                if !args.flag("json") { print(Self.line(r, file: file)) }
            } catch let e as CustodyError {
                bar.finish()
                failures += 1
                Output.error(e.shown)
                results.append(["file": file, "error": e.message])
                // A bad file is skipped; anything else (a full disk) stops the run after this file.
                if !e.isCallersFault { stop = e; break }
            }
        }
        if args.flag("json") { Output.json(results) }
        if let stop { return stop.exitCode }
        return failures == 0 ? 0 : 2
    }

    /// One line per file: `EX-000001  <sha256>  <file>`, then in one parenthesis what else is true of it.
    static func line(_ r: IngestResult, file: String) -> String {
        var notes = [String]()
        if let deletion = r.restored {
            notes.append("retention had " + (deletion.purgedAt == nil ? "deleted" : "purged") + " it: restored "
                         + "(recorded in the ledger)")
        } else if r.duplicate {
            notes.append("already in the vault: nothing new stored")
        }
        if let event = r.repairedCatalog {
            notes.append("its catalog rows disagreed with its ledger event \(event) and were repaired from this file "
                         + "(recorded in the ledger)")
        }
        if r.exhibit.status == .unreadable {
            let reason = r.exhibit.unreadableReason ?? "unknown"
            notes.append((r.duplicate ? "" : "stored, ") + "flagged unreadable: \(reason)")
        }
        if !r.repairedChunks.isEmpty {
            let n = r.repairedChunks.count
            notes.append("repaired \(n) damaged chunk\(n == 1 ? "" : "s") of the stored copy from this file "
                         + "(recorded in the ledger)")
        }
        let line = "\(r.exhibit.id)  \(r.exhibit.sha256.hex)  \(file)"
            + (notes.isEmpty ? "" : "  (\(notes.joined(separator: "; ")))")
        return line.escapedForTerminal
    }

    /// What the user should know although the file was stored: its camera tag names another camera.
    func warnings(_ exhibit: Exhibit, file: String) -> [String] {
        guard let serial = exhibit.cameraSerial, serial.caseInsensitiveCompare(device) != .orderedSame else {
            return []
        }
        return ["\(file): its camera_serial tag names \(serial), not --device \(device); both are kept "
                + "(`custody show \(exhibit.id)` shows the device and the tag)"]
    }
}
