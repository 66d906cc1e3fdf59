import ModelgateCore

/// Automatic output checking: decides, from the raw result and the dataset's rules, what may be
/// released, what must be suppressed, and what must be refused as a whole.
///
/// Pure: takes values, returns values, so every rule can be tested on a table built to trip it.
package struct OutputChecker: Sendable {
    package let rules: DisclosureRules
    /// The secret order in which secondary suppression takes complements.
    let order: ComplementOrder

    package init(rules: DisclosureRules, order: ComplementOrder) {
        self.rules = rules
        self.order = order
    }

    package func check(_ raw: RawResult) -> CheckedOutput {
        // The dataset's size is public and most results give their row count: filters (and
        // missing values) that leave out only a few rows would give away how many they are.
        let leftOut = raw.rowsScanned - raw.rowsUsed
        let complement = RuleOutcome(
            rule: DisclosureRule.filterComplement, cells: leftOut > 0 && leftOut < rules.threshold ? 1 : 0,
            detail: "filters and missing values leave out no row or at least \(rules.threshold)")
        if complement.outcome == .fail {
            let refusal = Refusal(
                .smallComplement,
                "the filters and missing values leave out fewer than \(rules.threshold) rows of the dataset, and the dataset's size would give away how many; widen the filters so that they leave out none or at least \(rules.threshold)"
            )
            return .refused(refusal, DisclosureReport(verdict: .refused, rules: [complement], suppressedCells: 0))
        }
        switch raw.output {
        case .table(let table): return check(table)
        case .histogram(let histogram): return check(histogram)
        case .summary(let variables): return check(variables)
        case .regression(let regression): return check(regression)
        case .sums:
            // Exact sums of clamped values are for privacy mode dp, where noise is added to them.
            let refusal = Refusal(.crashed, "fixed-point sums are released only with noise, in privacy mode dp")
            return .refused(refusal, DisclosureReport(verdict: .refused, rules: [], suppressedCells: 0))
        }
    }
}

/// The checker's decision.
package enum CheckedOutput: Sendable, Equatable {
    case released(ReleasedOutput, DisclosureReport)
    case refused(Refusal, DisclosureReport)

    package var report: DisclosureReport {
        switch self {
        case .released(_, let report), .refused(_, let report): return report
        }
    }
}

/// Stable names of the rules, as they appear in `disclosure.rules[].rule` and in `rule` of a
/// suppressed cell.
package enum DisclosureRule {
    package static let threshold = "threshold"
    package static let groupDisclosure = "group_disclosure"
    package static let filterComplement = "filter_complement"
    package static let dominance = "nk_dominance"
    package static let pRatio = "p_ratio"
    package static let secondary = "secondary_suppression"
    package static let degreesOfFreedom = "degrees_of_freedom"
    package static let parameterRatio = "parameter_ratio"
    package static let leverage = "leverage"
    package static let wellDefined = "well_defined_fit"
}

extension OutputChecker {
    /// The first primary rule a group of rows fails, in order of precedence, and every rule it
    /// fails (for the per-rule counts).
    ///
    /// An empty cell falls under the threshold when zeros are disclosive, under no rule when the
    /// policy allows them: a label of its own would tell a withheld zero from a withheld few.
    func failures(count: Int, contributions: Contributions?, value: Double? = nil) -> [String] {
        var failed: [String] = []
        if count == 0 {
            if rules.zerosAreDisclosive { failed.append(DisclosureRule.threshold) }
            return failed
        }
        if count < rules.threshold {
            // A quantile of fewer rows than its window is NaN: that is the threshold speaking, and
            // a label of its own would tell such a cell from an empty one.
            failed.append(DisclosureRule.threshold)
        } else if let value, !value.isFinite {
            // A value that overflowed (a sum of huge numbers) is no statistic to release.
            failed.append(DisclosureRule.wellDefined)
        }
        if let contributions {
            // Group disclosure: a cell whose rows all hold the same value tells each of them
            // their value; a boolean cell with few rows of one outcome nearly does.
            let top = contributions.largest.first ?? 0
            let uniform = abs(top * Double(count) - contributions.absoluteSum) <= 1e-9 * top * Double(count)
            // A boolean's absolute sum counts its true rows, so it is a whole number ≤ count.
            let trues = contributions.isBinary ? Int(contributions.absoluteSum.rounded()) : 0
            let fewOfOneOutcome = contributions.isBinary && min(trues, count - trues) < rules.threshold
            if uniform || fewOfOneOutcome { failed.append(DisclosureRule.groupDisclosure) }
        }
        if let contributions, contributions.absoluteSum > 0 {
            let top = contributions.largest
            let n = min(rules.nkRule.n, top.count)
            if top.prefix(n).reduce(0, +) > rules.nkRule.k * contributions.absoluteSum {
                failed.append(DisclosureRule.dominance)
            }
            let first = top.first ?? 0
            let second = top.count > 1 ? top[1] : 0
            // What the other contributors hold besides the top two; if it is under p of the
            // largest, the second-largest can estimate the largest too closely.
            if first > 0, contributions.absoluteSum - first - second < rules.pRatio * first {
                failed.append(DisclosureRule.pRatio)
            }
        }
        return failed
    }

    /// Primary suppression of every cell that fails a rule, then secondary suppression, with the
    /// rules that withheld anything; nil when the withheld cells cannot be proved safe.
    /// `countsRows` when the cells' values are their counts, which are then bounded (see
    /// `CountBounds`); `names` name each cell apart from its place (see `ComplementOrder`).
    func suppress(
        shape: [Int], counts: [Int], contributions: [Contributions?], values: [Double?], countsRows: Bool,
        names: [[String]]
    ) -> (grid: SuppressionGrid, hits: [String: Int])? {
        var primary: [String?] = []
        for index in counts.indices {
            // Only the first failing rule withholds a cell: that a small cell also fails another
            // rule (all its rows share a value, say) is itself information.
            primary.append(
                failures(count: counts[index], contributions: contributions[index], value: values[index]).first)
        }
        let bounds = CountBounds(threshold: rules.threshold, smallest: rules.zerosAreDisclosive ? 0 : 1)
        let cells = counts.indices.map { ComplementOrder.Cell(name: names[$0], count: counts[$0]) }
        var grid = SuppressionGrid(
            shape: shape, counts: counts, priority: order.priorities(of: cells), rules: primary,
            protectedTotal: rules.threshold, bounds: countsRows ? bounds : nil)
        guard grid.suppressSecondary(rule: DisclosureRule.secondary) != nil else { return nil }
        // Neither a withheld cell nor the report says which rule withheld which cell, how many each
        // took, or even which rules took any: that would tell small cells from complements and
        // bound both (see `CountBounds`), or say that no withheld cell is small. Whenever anything
        // is withheld, every rule that could have withheld a cell of this table reports all the
        // withheld cells.
        let withheld = grid.suppressedCount
        guard withheld > 0 else { return (grid, [:]) }
        let rulesOfTable =
            countsRows
            ? [DisclosureRule.threshold]
            : [
                DisclosureRule.threshold, DisclosureRule.wellDefined, DisclosureRule.groupDisclosure,
                DisclosureRule.dominance, DisclosureRule.pRatio,
            ]
        let reported = Dictionary(
            uniqueKeysWithValues: (rulesOfTable + [DisclosureRule.secondary]).map { ($0, withheld) })
        return (grid, reported)
    }

    /// The refusal of a table or histogram whose withheld cells cannot be proved safe.
    func unprotectable(measured: Bool) -> CheckedOutput {
        let refusal = Refusal(
            .tooManySuppressedCells,
            "the cells that must be withheld cannot be protected: more than \(SuppressionGrid.auditLimit), or too few rows released beside them to keep the table's totals from narrowing them; use fewer dimensions, coarser groups or wider filters"
        )
        let rules = outcomes([:], measured: measured, secondary: true).map {
            RuleOutcome.skipped($0.rule, detail: $0.detail)
        }
        return .refused(refusal, DisclosureReport(verdict: .refused, rules: rules, suppressedCells: 0))
    }

    /// A count of selected rows as it may be released: itself when at least the threshold (or
    /// zero, where zeros are not disclosive), nil (withheld) otherwise.
    package func releasable(count: Int) -> Int? {
        count >= rules.threshold || (count == 0 && !rules.zerosAreDisclosive) ? count : nil
    }

    func outcomes(_ hits: [String: Int], measured: Bool, secondary: Bool) -> [RuleOutcome] {
        let empty = rules.zerosAreDisclosive ? "empty cells are withheld too" : "empty cells are released as 0"
        var outcomes = [
            RuleOutcome(
                rule: DisclosureRule.threshold, cells: hits[DisclosureRule.threshold, default: 0],
                detail: "cells need at least \(rules.threshold) rows; \(empty)")
        ]
        if hits[DisclosureRule.wellDefined, default: 0] > 0 {
            outcomes.append(
                RuleOutcome(
                    rule: DisclosureRule.wellDefined, cells: hits[DisclosureRule.wellDefined, default: 0],
                    detail: "a released value must be finite"))
        }
        if measured {
            outcomes.append(
                RuleOutcome(
                    rule: DisclosureRule.groupDisclosure, cells: hits[DisclosureRule.groupDisclosure, default: 0],
                    detail:
                        "a cell may not hold one value for all its rows, nor fewer than \(rules.threshold) rows of either outcome of a boolean"
                ))
            outcomes.append(
                RuleOutcome(
                    rule: DisclosureRule.dominance, cells: hits[DisclosureRule.dominance, default: 0],
                    detail:
                        "the \(rules.nkRule.n) largest contributions may not exceed \(rules.nkRule.k * 100)% of a cell")
            )
            outcomes.append(
                RuleOutcome(
                    rule: DisclosureRule.pRatio, cells: hits[DisclosureRule.pRatio, default: 0],
                    detail:
                        "the rest of a cell beyond its two largest contributions must be at least \(rules.pRatio * 100)% of the largest"
                ))
        }
        if secondary {
            outcomes.append(
                RuleOutcome(
                    rule: DisclosureRule.secondary, cells: hits[DisclosureRule.secondary, default: 0],
                    detail:
                        "no withheld cell may be solved, nor a withheld count narrowed to fewer than \(rules.threshold) possible values, from the released cells and the table's margins"
                ))
        }
        return outcomes
    }
}
