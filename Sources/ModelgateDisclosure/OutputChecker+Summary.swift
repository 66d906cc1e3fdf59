import ModelgateCore

extension OutputChecker {
    /// A summary is released whole or refused whole: its statistics cannot be suppressed one by one
    /// without the rest giving them away.
    func check(_ variables: [RawVariableSummary]) -> CheckedOutput {
        var hits: [String: Int] = [:]
        var failing: [(String, [String])] = []
        for variable in variables {
            // The threshold comes first, for an empty summary too whatever the policy says of zero
            // cells; then only the first failing rule is named, as for table cells.
            let statistics = variable.statistics
            let worst = [statistics.mean, statistics.std, statistics.q1, statistics.median, statistics.q3]
                .compactMap { $0 }.first { !$0.isFinite }
            let rule =
                statistics.n < rules.threshold
                ? DisclosureRule.threshold
                : failures(count: statistics.n, contributions: variable.contributions, value: worst).first
            if let rule {
                hits[rule, default: 0] += 1
                failing.append((statistics.name, [rule]))
            }
        }
        let rulesOutcome = outcomes(hits, measured: true, secondary: false)
        guard failing.isEmpty else {
            let report = DisclosureReport(verdict: .refused, rules: rulesOutcome, suppressedCells: 0)
            let names = failing.map { "\($0.0) (\($0.1.joined(separator: ", ")))" }.joined(separator: "; ")
            let failed = Set(failing.flatMap(\.1))
            let refusal: Refusal
            if failed.contains(DisclosureRule.threshold) {
                refusal = Refusal(
                    .belowThreshold,
                    "the summary rests on too few rows for: \(names); each needs at least \(rules.threshold) rows; widen the filters"
                )
            } else if failed.contains(DisclosureRule.wellDefined) {
                refusal = Refusal(.degenerateFit, "a statistic of \(names) is not finite (the values overflow)")
            } else if failed.contains(DisclosureRule.groupDisclosure) {
                refusal = Refusal(
                    .groupDisclosure,
                    "the selected rows would share their value, or nearly all one outcome, for: \(names); widen the selection"
                )
            } else {
                refusal = Refusal(.dominance, "a few rows dominate the summary of: \(names); widen the selection")
            }
            return .refused(refusal, report)
        }
        let report = DisclosureReport(verdict: .pass, rules: rulesOutcome, suppressedCells: 0)
        return .released(.summary(ReleasedSummary(variables: variables.map(\.statistics))), report)
    }
}
