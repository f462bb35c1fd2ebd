import Crypto
import CustodyCore
import Dispatch
import Foundation
import Ledger
import Media
import MediaModel
import POSIX
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct RedactCommand: Command {
    static let name = "redact"
    static let summary = "Make a derived exhibit: frame-accurate clip, blurred or blacked-out regions, muted audio."
    static let usage = """
        redact EXHIBIT --spec FILE --reason TEXT [--as ID] [--data DIR] [--json]

        FILE is a JSON redaction spec (see README and Fixtures/redaction-spec.json): optional "clip"
        [start, end] in source seconds, "blur" regions {from, to, rect: [x, y, w, h], style: blur|black,
        keyframes: [{t, rect}]}, and "mute" ranges {from, to}. Why the redaction is made is given once,
        with --reason, and recorded in the ledger; a spec holding a "reason" is refused.
        The result is H.264 + AAC MP4 (+faststart) at the source's size and frame rate, stored as a new
        exhibit naming its parent's SHA-256 and the spec's SHA-256; the original is untouched. The same spec
        on the same exhibit gives the same bytes (reported as a duplicate). Ctrl-C stops it and stores
        nothing (exit 130). An unreadable exhibit cannot be redacted (exit 2).
        """
    static let refusalAction: CustodyEvent.Action? = .redact
    static let options: [OptionSpec] = [
        .option("spec", "FILE", "the redaction spec (JSON, at most 1 MiB)"),
        .option("reason", "TEXT", "why the redaction is made; recorded in the ledger (required)"),
        .actor, .data, .json,
    ]

    let args: Arguments
    let reference: String
    let specPath: String
    let reason: String

    init(_ args: Arguments) throws {
        reference = try args.positionals(exactly: ["EXHIBIT"])[0]
        guard let spec = args.value("spec"), !spec.isEmpty else { throw CustodyError.invalidInput(field: "--spec",
            "missing --spec FILE") }
        reason = try args.reason(for: "redaction")
        self.args = args
        self.specPath = spec
    }

    func run() throws -> Int32 {
        let specBytes = try SpecFile.read(specPath, option: "--spec")
        let vault = try Context.openVault(args)
        let actor = Context.acting(args)
        let exhibit = try vault.exhibit(reference, for: .redact, by: actor)
        let bar = ProgressBar("redact \(exhibit.id)")
        let interrupt = Interrupt()
        defer {
            interrupt.stop()
            bar.finish()
        }
        let result: IngestResult
        do {
            result = try vault.redact(exhibit, spec: specBytes, reason: reason, actor: actor,
                                      progress: bar.update(fraction:), isCancelled: interrupt.isSet)
        } catch let e as RedactionError where e.kind == .cancelled {
            bar.finish()
            Output.error("redaction of \(exhibit.id) interrupted: nothing was stored")
            return 130
        }
        bar.finish()
        let derived = result.exhibit
        // A duplicate's catalog entry names the spec that first made these bytes; report the one given.
        let specSHA256 = SHA256.hash(specBytes).hex
        let storedSpec = derived.specSHA256?.hex ?? ""
        let skipped = Int(result.notes["damaged_packets_skipped"] ?? "") ?? 0
        let dropped = result.notes["dropped_streams"].map { $0.components(separatedBy: Vault.droppedStreamSeparator) }
            ?? []
        if args.flag("json") {
            Output.json(["id": derived.id, "sha256": derived.sha256.hex, "parent": exhibit.sha256.hex,
                         "parent_id": exhibit.id, "spec_sha256": specSHA256, "stored_spec_sha256": storedSpec,
                         "duplicate": result.duplicate, "damaged_packets_skipped": skipped,
                         "dropped_streams": dropped])
        } else {
            print("\(derived.id)  \(derived.sha256.hex)  derived from \(exhibit.id)"
                  + (!result.duplicate ? "" : storedSpec == specSHA256 ? "  (already stored: same exhibit, same spec)"
                     : "  (already stored: spec \(storedSpec.prefix(12)) made the same bytes)"))
        }
        if skipped > 0 {
            Output.note("\(skipped) damaged packets of \(exhibit.id) could not be decoded and were skipped; "
                        + "their frames or audio are missing from \(derived.id)")
        }
        if !dropped.isEmpty {
            Output.note("\(derived.id) keeps one video and one audio stream of \(exhibit.id); not in it: "
                        + dropped.joined(separator: ", "))
        }
        return 0
    }
}

/// Turns SIGINT (Ctrl-C) into a flag the redactor polls, so it can stop cleanly and remove its temp
/// files instead of dying half-way; restores the default action when stopped.
final class Interrupt: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.raise() }
        source.resume()
    }

    private func raise() {
        lock.lock()
        raised = true
        lock.unlock()
    }

    func isSet() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return raised
    }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
