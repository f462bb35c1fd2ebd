import Foundation

/// JSONSerialization keeps the last of two equal keys in an object without a word, so a spec with
/// `"clip"` twice would mean something its reader may not see. This walks the (already valid) JSON text
/// and refuses the second occurrence of a key, naming its path like every other spec error.
enum DuplicateKeys {
    private enum Container {
        case object(path: String, keys: Set<String>, key: String?, expectsKey: Bool)
        case array(path: String, index: Int)

        /// The path of the value being read in this container.
        var childPath: String {
            switch self {
            case .object(let path, _, let key, _): return path.isEmpty ? (key ?? "") : "\(path).\(key ?? "")"
            case .array(let path, let index): return "\(path)[\(index)]"
            }
        }
    }

    /// Throws `RedactionSpecError` for the first key that appears twice in one object of `bytes`.
    static func check(_ bytes: [UInt8]) throws {
        var stack = [Container]()
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"):
                stack.append(.object(path: stack.last?.childPath ?? "", keys: [], key: nil, expectsKey: true))
            case UInt8(ascii: "["):
                stack.append(.array(path: stack.last?.childPath ?? "", index: 0))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                switch stack.last {
                case .object(let path, let keys, let key, _)?:
                    stack[stack.count - 1] = .object(path: path, keys: keys, key: key, expectsKey: true)
                case .array(let path, let index)?:
                    stack[stack.count - 1] = .array(path: path, index: index + 1)
                case nil: break
                }
            case UInt8(ascii: "\""):
                var end = i + 1
                while end < bytes.count && bytes[end] != UInt8(ascii: "\"") {
                    end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                if case .object(let path, var keys, _, true)? = stack.last {
                    let literal = Data(bytes[i...min(end, bytes.count - 1)])
                    let key = (try? JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed)) as? String
                        ?? String(decoding: literal, as: UTF8.self)
                    let field = path.isEmpty ? key : "\(path).\(key)"
                    guard keys.insert(key).inserted else {
                        throw RedactionSpecError(field, "appears twice in the same object; give each key once")
                    }
                    stack[stack.count - 1] = .object(path: path, keys: keys, key: key, expectsKey: false)
                }
                i = end
            default:
                break
            }
            i += 1
        }
    }
}
