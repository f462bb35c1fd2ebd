/// Hands a value that is not Sendable to another thread; the caller guarantees the access is safe.
public struct Unchecked<T>: @unchecked Sendable {
    public let value: T

    public init(value: T) {
        self.value = value
    }
}
