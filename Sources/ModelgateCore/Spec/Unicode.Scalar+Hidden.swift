extension Unicode.Scalar {
    /// Whether the character moves, hides or reorders what is printed instead of showing itself:
    /// a control (a line break, an escape), a line or paragraph separator, or a bidirectional
    /// control (a right-to-left override, an isolate). Text from another person (a label, a
    /// spec quoted in a refusal, a doubt) must not carry one to a terminal or a page. Joiners
    /// and other format characters that scripts and emoji need are not.
    package var isHidden: Bool {
        switch properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        case .format:
            // U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069: the bidirectional controls.
            return value == 0x061C || (0x200E...0x200F).contains(value) || (0x202A...0x202E).contains(value)
                || (0x2066...0x2069).contains(value)
        default: return false
        }
    }
}
