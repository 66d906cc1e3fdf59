import ModelgateCore

extension OutputChecker {
    /// A regression is released whole or refused whole: a degenerate fit or one with too few
    /// residual degrees of freedom can reproduce individual rows.
    func check(_ regression: RawRegression) -> CheckedOutput {
        let p = regression.terms.count
        let n = regression.nObservations
        let finite =
            regression.isWellDefined
            && (regression.estimates + regression.standardErrors).allSatisfy(\.isFinite)
        let ratio = n > 0 ? Double(p) / Double(n) : .infinity
        let outcomes = [
            RuleOutcome(
                rule: DisclosureRule.wellDefined, cells: finite ? 0 : 1,
                detail: "estimates must be finite and the design of full rank"),
            RuleOutcome(
                rule: DisclosureRule.degreesOfFreedom,
                cells: regression.degreesOfFreedom < rules.minimumDegreesOfFreedom ? 1 : 0,
                detail: "at least \(rules.minimumDegreesOfFreedom) residual degrees of freedom"),
            RuleOutcome(
                rule: DisclosureRule.parameterRatio, cells: ratio > rules.maxParameterRatio ? 1 : 0,
                detail: "at most \(rules.maxParameterRatio) parameters per row"),
        ]
        let refused = DisclosureReport(verdict: .refused, rules: outcomes, suppressedCells: 0)
        if !finite {
            let why = regression.problem ?? "the fit is degenerate"
            return .refused(Refusal(.degenerateFit, "\(why); remove or merge features"), refused)
        }
        if regression.degreesOfFreedom < rules.minimumDegreesOfFreedom {
            return .refused(
                Refusal(
                    .insufficientDegreesOfFreedom,
                    "the fit has \(regression.degreesOfFreedom) residual degrees of freedom; at least \(rules.minimumDegreesOfFreedom) are required: use more rows or fewer terms"
                ), refused)
        }
        if ratio > rules.maxParameterRatio {
            return .refused(
                Refusal(
                    .tooManyParameters,
                    "the fit has \(p) parameters for \(n) rows; at most \(rules.maxParameterRatio) parameters per row are allowed"
                ), refused)
        }
        let report = DisclosureReport(verdict: .pass, rules: outcomes, suppressedCells: 0)
        return .released(.regression(ReleasedRegression(regression)), report)
    }
}
