/// What output checking did, in terms a researcher can act on without seeing anything disclosive.
package struct DisclosureReport: Sendable, Equatable, Codable {
    package var verdict: Verdict
    /// Every rule that applies to the model, with its outcome.
    package var rules: [RuleOutcome]
    /// Cells or bins withheld, primary and secondary.
    package var suppressedCells: Int

    package enum Verdict: String, Sendable, Codable {
        /// Released whole.
        case pass
        /// Released with some cells suppressed.
        case suppressed
        /// Nothing released.
        case refused
    }

    package init(verdict: Verdict, rules: [RuleOutcome], suppressedCells: Int) {
        self.verdict = verdict
        self.rules = rules
        self.suppressedCells = suppressedCells
    }
}

package struct RuleOutcome: Sendable, Equatable, Codable {
    /// Stable rule name, e.g. `threshold`, `nk_dominance`.
    package var rule: String
    package var outcome: Outcome
    /// How many cells (or variables, or coefficients) the rule hit.
    package var cells: Int
    /// The rule as configured, e.g. "cells need at least 10 rows".
    package var detail: String

    package enum Outcome: String, Sendable, Codable {
        case pass, fail
        /// Not evaluated, because an earlier rule already refused the output: its outcome would
        /// tell something about the data.
        case skipped
    }

    package init(rule: String, cells: Int, detail: String) {
        self.rule = rule
        self.outcome = cells == 0 ? .pass : .fail
        self.cells = cells
        self.detail = detail
    }

    package static func skipped(_ rule: String, detail: String) -> RuleOutcome {
        var outcome = RuleOutcome(rule: rule, cells: 0, detail: detail)
        outcome.outcome = .skipped
        return outcome
    }
}
