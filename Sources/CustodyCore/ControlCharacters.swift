extension Unicode.Scalar {
    /// C0 and C1 control characters and DEL (Unicode's Cc category): never welcome in a name, and
    /// shown escaped in text output.
    public var isControlCharacter: Bool { value < 0x20 || (0x7f...0x9f).contains(value) }

    /// Bidirectional formatting characters: embeddings and overrides (U+202A-U+202E), isolates
    /// (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). They reorder what a terminal shows, so
    /// `\u{202E}4pm.exe` reads as `exe.mp4`: refused in a name a dock sends, shown escaped in text output.
    public var isBidiControl: Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
            || value == 0x200E || value == 0x200F || value == 0x061C
    }

    /// A control or bidirectional formatting character: one that can change what a line of text shows.
    public var altersDisplay: Bool { isControlCharacter || isBidiControl }
}

extension String {
    /// True when the text holds a character that can start a line of its own, drive the terminal or
    /// reorder what is shown (`Unicode.Scalar.altersDisplay`).
    public var altersDisplay: Bool { unicodeScalars.contains(where: \.altersDisplay) }

    /// The text for a line of terminal output: control and bidirectional formatting characters are
    /// shown escaped (`\n`, `\u{1b}`, `\u{202e}`), so no value from outside (a file name, a reason,
    /// a dock's metadata) can start a line of its own, drive the terminal or reverse what follows it.
    public var escapedForTerminal: String { escaped(keeping: []) }

    /// Text of several lines for a terminal (what a server says a command printed): as
    /// `escapedForTerminal`, but newlines and tabs stay as they are.
    public var escapedForTerminalKeepingLines: String { escaped(keeping: ["\n", "\t"]) }

    private func escaped(keeping kept: Set<Unicode.Scalar>) -> String {
        guard altersDisplay else { return self }
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case _ where kept.contains(scalar): out.unicodeScalars.append(scalar)
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.altersDisplay: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
