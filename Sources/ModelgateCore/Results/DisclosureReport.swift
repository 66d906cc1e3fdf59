/// What output checking did, in terms a researcher can act on without seeing anything disclosive.
public struct DisclosureReport: Sendable, Equatable, Codable {
    public var verdict: Verdict
    /// Every rule that applies to the model, with its outcome.
    public var rules: [RuleOutcome]
    /// Cells or bins withheld, primary and secondary.
    public var suppressedCells: Int

    public enum Verdict: String, Sendable, Codable {
        /// Released whole.
        case pass
        /// Released with some cells suppressed.
        case suppressed
        /// Nothing released.
        case refused
    }

    public init(verdict: Verdict, rules: [RuleOutcome], suppressedCells: Int) {
        self.verdict = verdict
        self.rules = rules
        self.suppressedCells = suppressedCells
    }
}

public struct RuleOutcome: Sendable, Equatable, Codable {
    /// Stable rule name, e.g. `threshold`, `nk_dominance`.
    public var rule: String
    public var outcome: Outcome
    /// How many cells (or variables, or coefficients) the rule hit.
    public var cells: Int
    /// The rule as configured, e.g. "cells need at least 10 rows".
    public var detail: String

    public enum Outcome: String, Sendable, Codable {
        case pass, fail
        /// Not evaluated, because an earlier rule already refused the output: its outcome would
        /// tell something about the data.
        case skipped
    }

    public init(rule: String, cells: Int, detail: String) {
        self.rule = rule
        self.outcome = cells == 0 ? .pass : .fail
        self.cells = cells
        self.detail = detail
    }

    public static func skipped(_ rule: String, detail: String) -> RuleOutcome {
        var outcome = RuleOutcome(rule: rule, cells: 0, detail: detail)
        outcome.outcome = .skipped
        return outcome
    }
}
