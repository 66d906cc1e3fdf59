extension Unicode.Scalar {
    /// Whether the character moves, hides or reorders what is printed instead of showing itself:
    /// a control (a line break, an escape), a line or paragraph separator, or a format character
    /// (a right-to-left override, a zero-width space). Text from another person (a label, a
    /// spec quoted in a refusal) must not carry one to a terminal.
    package var isHidden: Bool {
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
