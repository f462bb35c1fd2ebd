/// What one input did to a target. Anything else (a crash, a hang, an error the target does not
/// expect, a broken invariant) is a bug, reported as a `FuzzFailure` or found by the sanitizer.
public enum FuzzOutcome: Hashable, Sendable, CustomStringConvertible {
    /// Parsed (and, where the target verifies, verified).
    case accepted
    /// Refused with the typed error the code promises; the label says which kind (a status, a field).
    case refused(String)
    /// Not enough bytes yet to say (a parser waiting for more input).
    case incomplete

    public var description: String {
        switch self {
        case .accepted: "accepted"
        case .refused(let why): "refused(\(why))"
        case .incomplete: "incomplete"
        }
    }
}

/// A broken promise found by a target: an untyped error, an answer that contradicts itself, a loop.
public struct FuzzFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One fuzz entry point: bytes in, an outcome out. The same function is driven by the seeded
/// mutation runner (XCTests, `custody-fuzz run`) and by libFuzzer (`Scripts/fuzz`).
public struct FuzzTarget: Sendable {
    /// The folder name under `Fixtures/fuzz/` and the name `custody-fuzz` takes.
    public let name: String
    /// What the target reaches, for `custody-fuzz list`.
    public let summary: String
    /// Tokens worth splicing into inputs (header names, JSON keys, magic numbers).
    public let dictionary: [[UInt8]]
    public let run: @Sendable ([UInt8]) throws -> FuzzOutcome

    public init(name: String, summary: String, dictionary: [String] = [],
                run: @escaping @Sendable ([UInt8]) throws -> FuzzOutcome) {
        self.name = name
        self.summary = summary
        self.dictionary = dictionary.map { Array($0.utf8) }
        self.run = run
    }

    /// Every target, in the order scripts run them.
    public static let all: [FuzzTarget] = [httpRequest, chunkedBody, tusHeaders, redactionSpec, checkpoint,
                                           inclusionProof, consistencyProof, zipReader]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
