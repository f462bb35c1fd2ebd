/// What a bag builder refuses, each saying what to change.
public enum BagError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A path that is empty, absolute, has an empty, `.` or `..` component, a backslash or a NUL.
    case invalidPath(String, reason: String)
    /// A payload path outside `data/`, or a tag file path inside it or naming a file the builder writes.
    case misplacedPath(String, reason: String)
    /// The same path added twice, or a path that is both a file and a folder of another file.
    case duplicatePath(String)
    /// A bag-info label or value the format cannot carry as given.
    case invalidBagInfo(label: String, reason: String)
    /// The bytes written for a file were not the size announced for it.
    case sizeMismatch(path: String, announced: UInt64, written: UInt64)
    /// A call out of order: after `finish`, or after an earlier file failed.
    case misuse(String)

    public var description: String {
        switch self {
        case let .invalidPath(path, reason): return "bag path \(quoted(path)) is invalid: \(reason)"
        case let .misplacedPath(path, reason): return "bag path \(quoted(path)) is misplaced: \(reason)"
        case let .duplicatePath(path): return "bag path \(quoted(path)) is already in the bag (or is a folder there)"
        case let .invalidBagInfo(label, reason): return "bag-info field \(quoted(label)) is invalid: \(reason)"
        case let .sizeMismatch(path, announced, written):
            return "bag file \(quoted(path)) was announced as \(announced) bytes but \(written) were written"
        case let .misuse(what): return "bag builder misuse: \(what)"
        }
    }

    private func quoted(_ s: String) -> String { "\"" + s.debugDescription.dropFirst().dropLast() + "\"" }
}
