extension Unicode.Scalar {
    /// C0 and C1 control characters and DEL (Unicode's Cc category): never welcome in a name, and
    /// shown escaped in text output.
    public var isControlCharacter: Bool { value < 0x20 || (0x7f...0x9f).contains(value) }
}
