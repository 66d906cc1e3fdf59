import ModelgateCore

extension OutputChecker {
    /// A regression is released whole or refused whole. The rules run in order and the first that
    /// fails decides; later rules are skipped, and messages carry the policy's limits, never the
    /// data's counts, so a refusal tells nothing about a small group beyond its failing one rule.
    func check(_ regression: RawRegression) -> CheckedOutput {
        let p = regression.terms.count
        let n = regression.nObservations
        let released = [regression.rSquared, regression.adjustedRSquared, regression.logLikelihood].compactMap { $0 }
        let finite =
            regression.isWellDefined
            && (regression.estimates + regression.standardErrors + regression.statistics + regression.pValues
                + released).allSatisfy(\.isFinite)
            && regression.standardErrors.allSatisfy { $0 > 0 }
        let threshold = rules.threshold
        // Each group's first failing rule, as for a table's cell; the threshold is the first rule's.
        let groupFailures = Set(
            regression.groupContributions.compactMap { failures(count: $0.count, contributions: $0).first })
        let rulesInOrder: [(rule: String, detail: String, fails: Bool, refusal: Refusal)] = [
            (
                DisclosureRule.threshold,
                "every group the fit gives away (category levels, boolean values, values of a numeric feature with few values, their two-way combinations, outcomes of a boolean target within them) needs at least \(threshold) rows\(rules.zerosAreDisclosive ? " and may not be empty" : "")",
                (regression.smallestGroup ?? threshold) < threshold
                    || (regression.hasEmptyGroup && rules.zerosAreDisclosive),
                Refusal(
                    .belowThreshold,
                    "a group of rows that the features set apart (a category level, a boolean value, a value of a numeric feature with few values, or a combination of two of them), or one outcome of the target within it, has fewer than \(threshold) rows; merge levels, drop a feature or widen the filters"
                )
            ),
            (
                DisclosureRule.groupDisclosure,
                "no group the fit gives away (nor the whole sample) may hold one value of the target, or of a feature that is not a category, in all its rows, nor fewer than \(threshold) rows of either value of such a boolean",
                groupFailures.contains(DisclosureRule.groupDisclosure),
                Refusal(
                    .groupDisclosure,
                    "the rows of a group the fit gives away (a category level, a boolean value, a value of a numeric feature with few values, a combination of two of them, or the whole selection) would share their value of the target or of a feature that is not a category, or nearly all one value of a boolean; merge levels, drop a feature or widen the filters"
                )
            ),
            (
                DisclosureRule.dominance,
                "in no group the fit gives away may the \(rules.nkRule.n) largest contributions to the target, or to a feature that is not a category, exceed \(rules.nkRule.k * 100)% of its sum, nor the rest beyond the two largest fall under \(rules.pRatio * 100)% of the largest",
                groupFailures.contains(DisclosureRule.dominance) || groupFailures.contains(DisclosureRule.pRatio),
                Refusal(
                    .dominance,
                    "a few rows dominate the sum of the target, or of a feature that is not a category, in a group the fit gives away (a category level, a boolean value, a value of a numeric feature with few values, a combination of two of them, or the whole selection); merge levels, drop a feature or widen the filters"
                )
            ),
            (
                DisclosureRule.degreesOfFreedom,
                "at least \(rules.minimumDegreesOfFreedom) residual degrees of freedom",
                regression.degreesOfFreedom < rules.minimumDegreesOfFreedom,
                Refusal(
                    .insufficientDegreesOfFreedom,
                    "the fit has fewer than \(rules.minimumDegreesOfFreedom) residual degrees of freedom; use more rows or fewer terms"
                )
            ),
            (
                DisclosureRule.parameterRatio,
                "at most \(rules.maxParameterRatio) parameters per row",
                n == 0 || Double(p) / Double(n) > rules.maxParameterRatio,
                Refusal(
                    .tooManyParameters,
                    "the fit has more than \(rules.maxParameterRatio) parameters per row; use more rows or fewer terms")
            ),
            (
                DisclosureRule.leverage,
                "no row may have a leverage above \(rules.maxLeverage) (a weight in its own fitted value)",
                (regression.maximumLeverage ?? 0) > rules.maxLeverage,
                Refusal(
                    .highLeverage,
                    "a row would weigh more than \(rules.maxLeverage) in its own fitted value, so the fit would nearly give its value away; drop or coarsen features with rare values, or widen the filters"
                )
            ),
            (
                DisclosureRule.wellDefined,
                "every released number must be finite and the design of full rank",
                !finite,
                Refusal(.degenerateFit, "\(regression.problem ?? "the fit is degenerate"); remove or merge features")
            ),
        ]
        var outcomes: [RuleOutcome] = []
        for (index, rule) in rulesInOrder.enumerated() where rule.fails {
            outcomes += rulesInOrder[..<index].map { RuleOutcome(rule: $0.rule, cells: 0, detail: $0.detail) }
            outcomes.append(RuleOutcome(rule: rule.rule, cells: 1, detail: rule.detail))
            outcomes += rulesInOrder[(index + 1)...].map { RuleOutcome.skipped($0.rule, detail: $0.detail) }
            return .refused(rule.refusal, DisclosureReport(verdict: .refused, rules: outcomes, suppressedCells: 0))
        }
        outcomes = rulesInOrder.map { RuleOutcome(rule: $0.rule, cells: 0, detail: $0.detail) }
        let report = DisclosureReport(verdict: .pass, rules: outcomes, suppressedCells: 0)
        return .released(.regression(ReleasedRegression(regression)), report)
    }
}
