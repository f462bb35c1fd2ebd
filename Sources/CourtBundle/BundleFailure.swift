/// The first check a bundle fails: which step, what, and where (the entry, the exhibit, the event).
public struct BundleFailure: Error, Sendable, CustomStringConvertible, Equatable {
    /// The steps of `BundleVerifier`, in the order they run.
    public enum Step: String, Sendable {
        case zip, bagit, signature, checkpoint, events, provenance, consistency
    }

    public let step: Step
    public let message: String
    /// The entry's path in the ZIP, or its path inside the bag.
    public var entry: String?
    public var exhibit: String?
    public var seq: Int64?

    public init(_ step: Step, _ message: String, entry: String? = nil, exhibit: String? = nil, seq: Int64? = nil) {
        self.step = step
        self.message = message
        self.entry = entry
        self.exhibit = exhibit
        self.seq = seq
    }

    public var description: String { "\(step.rawValue): \(message)" }
}
